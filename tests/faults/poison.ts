import { randomUUID } from "node:crypto";
import type { EventCodec, IntegrationEvent } from "@stocksaga/contracts";
import type { Producer } from "kafkajs";

export type PoisonTopic = "order-events" | "reservation-events";
export type PoisonKind =
  | "not-avro"
  | "unknown-schema-id"
  | "wrong-record-type"
  | "negative-quantity"
  | "unknown-order";

export const POISON_KINDS: readonly PoisonKind[] = [
  "not-avro",
  "unknown-schema-id",
  "wrong-record-type",
  "negative-quantity",
  "unknown-order",
];
export const POISON_TOPICS: readonly PoisonTopic[] = ["order-events", "reservation-events"];

/** Travel with the poison into `dead-letters` (which copies the original headers). */
export const POISON_HEADER = "faults-poison-id";
export const POISON_RUN_HEADER = "faults-poison-run";

export interface Poison {
  id: string;
  kind: PoisonKind;
  topic: PoisonTopic;
  key: string;
  /** The `dlt-reason` the consumer should give it. */
  expectedReason: string;
  /** Order ids it names; none of them may leave a trace in either database (except `realOrderId`). */
  fakeOrderIds: string[];
  sentAt: number;
}

/** A real order of the run, for poison that must name an existing order to be impossible in content. */
export interface RealOrder {
  orderId: string;
  lines: readonly { sku: string; quantity: number }[];
}

/** An id far above anything the registry hands out in a run. */
const NEVER_ISSUED_SCHEMA_ID = 2_000_000_000;

function metadata(correlationId: string, producer: string) {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    correlationId,
    causationId: null,
    producer,
    traceparent: null,
  };
}

/** The bytes (and key) of one poison message, and why the consumer must refuse it. */
function build(
  codec: EventCodec,
  kind: PoisonKind,
  topic: PoisonTopic,
  sku: string,
  real: RealOrder | undefined,
): { key: string; value: Buffer; expectedReason: string; fakeOrderIds: string[] } {
  const fakeOrderId = randomUUID();
  switch (kind) {
    case "not-avro":
      return {
        key: fakeOrderId,
        value: Buffer.from(
          JSON.stringify({ type: "OrderRequested", orderId: fakeOrderId, note: "JSON, not Avro" }),
        ),
        expectedReason: "DECODE_WRONG_MAGIC_BYTE",
        fakeOrderIds: [fakeOrderId],
      };
    case "unknown-schema-id": {
      const value = Buffer.alloc(5 + 16, 7);
      value.writeUInt8(0, 0);
      value.writeInt32BE(NEVER_ISSUED_SCHEMA_ID, 1);
      return {
        key: fakeOrderId,
        value,
        expectedReason: "DECODE_UNKNOWN_SCHEMA_ID",
        fakeOrderIds: [fakeOrderId],
      };
    }
    case "wrong-record-type": {
      // A well-formed event of the other direction: valid Avro, registered, but not for this topic.
      const event: IntegrationEvent =
        topic === "order-events"
          ? {
              type: "StockReserved",
              metadata: metadata(fakeOrderId, "inventory-service"),
              orderId: fakeOrderId,
              lineCount: 1,
              sku,
              requestedQuantity: 2,
              reservedQuantity: 2,
              reservationId: randomUUID(),
              expiresAt: Date.now() + 60_000,
            }
          : {
              type: "OrderRequested",
              metadata: metadata(fakeOrderId, "order-service"),
              orderId: fakeOrderId,
              customerId: "faults-poison",
              fulfilment: "PARTIAL",
              lines: [{ sku, quantity: 2 }],
            };
      return {
        key: fakeOrderId,
        value: codec.encode(event),
        expectedReason: "DECODE_UNEXPECTED_RECORD_TYPE",
        fakeOrderIds: [fakeOrderId],
      };
    }
    case "negative-quantity": {
      if (topic === "order-events") {
        const event: IntegrationEvent = {
          type: "OrderRequested",
          metadata: metadata(fakeOrderId, "order-service"),
          orderId: fakeOrderId,
          customerId: "faults-poison",
          fulfilment: "PARTIAL",
          lines: [{ sku, quantity: -3 }],
        };
        return {
          key: fakeOrderId,
          value: codec.encode(event),
          expectedReason: "INCONSISTENT_CONTENT",
          fakeOrderIds: [fakeOrderId],
        };
      }
      // The order service checks an answer against its order: a real order, so only the quantity is wrong.
      const line = real?.lines[0];
      if (!real || !line)
        throw new Error("negative-quantity poison on reservation-events needs a real order");
      const event: IntegrationEvent = {
        type: "StockReserved",
        metadata: metadata(real.orderId, "inventory-service"),
        orderId: real.orderId,
        lineCount: real.lines.length,
        sku: line.sku,
        requestedQuantity: line.quantity,
        reservedQuantity: -2,
        reservationId: randomUUID(),
        expiresAt: Date.now() + 60_000,
      };
      return {
        key: real.orderId,
        value: codec.encode(event),
        expectedReason: "INCONSISTENT_CONTENT",
        fakeOrderIds: [],
      };
    }
    case "unknown-order": {
      const event: IntegrationEvent =
        topic === "order-events"
          ? {
              type: "OrderConfirmed",
              metadata: metadata(fakeOrderId, "order-service"),
              orderId: fakeOrderId,
              lines: [{ sku, quantity: 1 }],
            }
          : {
              type: "StockReserved",
              metadata: metadata(fakeOrderId, "inventory-service"),
              orderId: fakeOrderId,
              lineCount: 1,
              sku,
              requestedQuantity: 1,
              reservedQuantity: 1,
              reservationId: randomUUID(),
              expiresAt: Date.now() + 60_000,
            };
      return {
        key: fakeOrderId,
        value: codec.encode(event),
        expectedReason: topic === "order-events" ? "UNKNOWN_ORDER_REQUEST" : "UNKNOWN_ORDER",
        fakeOrderIds: [fakeOrderId],
      };
    }
    default:
      return unreachable(kind);
  }
}

function unreachable(value: never): never {
  throw new Error(`unknown poison kind ${String(value)}`);
}

/** Sends one poison message of every kind to every consumed topic, and remembers each. */
export async function sendPoison(
  producer: Producer,
  codec: EventCodec,
  runTag: string,
  sku: string,
  real: RealOrder | undefined,
): Promise<Poison[]> {
  const sent: Poison[] = [];
  for (const topic of POISON_TOPICS) {
    for (const kind of POISON_KINDS) {
      const id = randomUUID();
      const { key, value, expectedReason, fakeOrderIds } = build(codec, kind, topic, sku, real);
      await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key,
            value,
            headers: { [POISON_HEADER]: id, [POISON_RUN_HEADER]: runTag, "faults-poison-kind": kind },
          },
        ],
      });
      sent.push({ id, kind, topic, key, expectedReason, fakeOrderIds, sentAt: Date.now() });
    }
  }
  return sent;
}
