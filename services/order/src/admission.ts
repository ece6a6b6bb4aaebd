import type { BacklogSignal } from "@stocksaga/platform";
import type { PendingBacklog } from "./persistence/order-store.js";

/** Where the order service's backlog is read from, each cheap enough to read a few times a second. */
export interface BacklogSources {
  pendingBacklog: () => Promise<PendingBacklog>;
  outboxBacklog: () => Promise<number>;
  consumerLag: () => number;
  placementsWaiting: () => number;
}

export interface AdmissionLimits {
  ADMISSION_MAX_PENDING_ORDERS: number;
  ADMISSION_MAX_PENDING_AGE_MS: number;
  ADMISSION_MAX_OUTBOX_EVENTS: number;
  ADMISSION_MAX_CONSUMER_LAG: number;
  ADMISSION_MAX_PLACEMENT_QUEUE: number;
}

/**
 * The backlog an order placed now would queue behind, as admission control's signals. Sampled:
 * orders still waiting for a decision over every instance (how many, and how long the
 * PENDING_AGE_RANK-th oldest has waited) and events not yet published. Live, read on each request: answers this instance has
 * not consumed yet and placements waiting for their group commit, which a burst fills faster than
 * any sampling interval.
 */
export function orderBacklogSignals(
  sources: BacklogSources,
  limits: AdmissionLimits,
): { sample: () => Promise<BacklogSignal[]>; live: () => BacklogSignal[] } {
  return {
    sample: async () => {
      const [pending, outbox] = await Promise.all([sources.pendingBacklog(), sources.outboxBacklog()]);
      return [
        {
          name: "pending orders",
          value: pending.pendingOrders,
          limit: limits.ADMISSION_MAX_PENDING_ORDERS,
          unit: "orders",
        },
        {
          name: "pending orders' age",
          value: pending.pendingAgeMs,
          limit: limits.ADMISSION_MAX_PENDING_AGE_MS,
          unit: "ms old",
        },
        { name: "outbox", value: outbox, limit: limits.ADMISSION_MAX_OUTBOX_EVENTS, unit: "events" },
      ];
    },
    live: () => [
      {
        name: "consumer lag",
        value: sources.consumerLag(),
        limit: limits.ADMISSION_MAX_CONSUMER_LAG,
        unit: "events",
      },
      {
        name: "placement queue",
        value: sources.placementsWaiting(),
        limit: limits.ADMISSION_MAX_PLACEMENT_QUEUE,
        unit: "orders",
      },
    ],
  };
}
