import type { IntegrationEvent } from "@stocksaga/contracts";
import { type Causation, type OutboxEntry, outboxEntry } from "@stocksaga/messaging";
import type { OrderEvent } from "../domain/index.js";
import type { OrderTransaction, TimelineEntry } from "../persistence/order-store.js";
import { toIntegrationEvents } from "./integration.js";

/**
 * What one transaction publishes and adds to order histories, gathered while the domain decides
 * and written at once at the end (one outbox statement, one history statement).
 */
export class RecordedEvents {
  private readonly outbox: OutboxEntry[] = [];
  private readonly timeline: TimelineEntry[] = [];

  constructor(private readonly route: (event: IntegrationEvent) => { topic: string; key: string }) {}

  /** The domain events of one order's change, published and added to its history. */
  emit(orderId: string, events: readonly OrderEvent[], cause: Causation): void {
    for (const event of toIntegrationEvents(events, cause)) {
      this.outbox.push(outboxEntry(event, this.route(event)));
      this.timeline.push({ orderId, event, direction: "EMITTED" });
    }
  }

  /** A consumed event, added to the history of the order it concerns. */
  receive(orderId: string, event: IntegrationEvent): void {
    this.timeline.push({ orderId, event, direction: "RECEIVED" });
  }

  async writeTo(tx: OrderTransaction): Promise<void> {
    if (this.outbox.length > 0 || this.timeline.length > 0) await tx.recordEvents(this.outbox, this.timeline);
  }
}
