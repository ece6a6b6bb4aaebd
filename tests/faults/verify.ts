import { setTimeout as sleep } from "node:timers/promises";
import type { EventCodec, IntegrationEvent } from "@stocksaga/contracts";
import type { Kafka } from "kafkajs";
import pg from "pg";
import type { Adjustment, PlacedOrder } from "./load.js";
import { POISON_HEADER, POISON_RUN_HEADER, type Poison } from "./poison.js";
import { header, type Offsets, type RawRecord, readRecords } from "./topics.js";

export interface Violation {
  check: string;
  detail: string;
}

export interface VerifyInput {
  kafka: Kafka;
  codec: EventCodec;
  orderDatabaseUrl: string;
  inventoryDatabaseUrl: string;
  startOffsets: Offsets;
  customerPrefix: string;
  skuPrefix: string;
  initialStock: ReadonlyMap<string, number>;
  placed: readonly PlacedOrder[];
  adjustments: readonly Adjustment[];
  poison: readonly Poison[];
  runTag: string;
}

export interface Verification {
  violations: Violation[];
  ordersByStatus: Record<string, number>;
  rejectionReasons: Record<string, number>;
  cancelled: { whilePending: number; afterDecision: number };
  deadLettersByReason: Record<string, number>;
  /** Poison messages that reached `dead-letters` more than once (redelivered after a crash). */
  poisonDeadLetteredAgain: number;
  /** Dead letters of poison sent by an earlier, interrupted run (left unconsumed then). */
  earlierPoison: number;
  topics: Record<string, { records: number; events: number; duplicateDeliveries: number }>;
  stock: { sku: string; initial: number; adjusted: number; committed: number; onHand: number }[];
  adjustments: { applied: number; refused: number; ambiguous: number; ambiguousApplied: number };
}

type Status = "PENDING" | "CONFIRMED" | "ADJUSTED" | "REJECTED" | "CANCELLED";

interface DbLine {
  orderId: string;
  sku: string;
  requested: number;
  confirmed: number | null;
  status: string;
  reservationId: string | null;
}

interface DbOrder {
  id: string;
  customer: string;
  status: Status;
  reason: string | null;
  key: string | null;
  lines: DbLine[];
}

interface DbReservation {
  id: string;
  orderId: string;
  sku: string;
  quantity: number;
  status: "ACTIVE" | "COMMITTED" | "RELEASED" | "EXPIRED";
}

const DECISION_STATUS: Partial<Record<IntegrationEvent["type"], Status>> = {
  OrderConfirmed: "CONFIRMED",
  OrderAdjusted: "ADJUSTED",
  OrderRejected: "REJECTED",
  OrderCancelled: "CANCELLED",
};

function count<K extends string>(into: Record<K, number>, key: K, by = 1): void {
  into[key] = (into[key] ?? 0) + by;
}

function sumBy<T>(
  items: Iterable<T>,
  key: (item: T) => string,
  value: (item: T) => number,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + value(item));
  return sums;
}

/** One query on a connection of its own; waits out a PostgreSQL that refuses connections for a moment. */
export async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= 60) throw error;
      await sleep(1_000);
      continue;
    }
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** What became of one event: the record it first arrived in, and how often it arrived. */
interface Delivered {
  record: RawRecord;
  event: IntegrationEvent;
}

/**
 * Checks the end state twice over: from both databases (each order final, agreeing with the
 * inventory's reservations; stock balanced; nothing applied twice) and, independently, from the
 * events on the topics (decisions and stock movements recomputed from them must match the
 * databases); every poison message is dead-lettered with reason and origin, and nothing else is.
 */
export async function verify(input: VerifyInput): Promise<Verification> {
  const violations: Violation[] = [];
  const fail = (check: string, detail: string) => violations.push({ check, detail });

  // ---------------------------------------------------------------- the databases
  const orderRows = await query<Omit<DbOrder, "lines">>(
    input.orderDatabaseUrl,
    `select id::text as id, customer_id as customer, status::text as status, reason, idempotency_key as key
       from orders where starts_with(customer_id, $1)`,
    [input.customerPrefix],
  );
  const lineRows = await query<DbLine>(
    input.orderDatabaseUrl,
    `select l.order_id::text as "orderId", l.sku, l.requested_quantity as requested,
            l.confirmed_quantity as confirmed, l.status::text as status, l.reservation_id::text as "reservationId"
       from order_lines l join orders o on o.id = l.order_id
      where starts_with(o.customer_id, $1) order by l.order_id, l.line_no`,
    [input.customerPrefix],
  );
  const orders = new Map<string, DbOrder>(orderRows.map((row) => [row.id, { ...row, lines: [] }]));
  for (const line of lineRows) orders.get(line.orderId)?.lines.push(line);
  const orderIds = [...orders.keys()];

  const products = await query<{ sku: string; onHand: number; reserved: number }>(
    input.inventoryDatabaseUrl,
    `select sku, on_hand as "onHand", reserved from products where starts_with(sku, $1)`,
    [input.skuPrefix],
  );
  const requests = await query<{ orderId: string; status: string; lineCount: number }>(
    input.inventoryDatabaseUrl,
    `select order_id::text as "orderId", status::text as status, line_count as "lineCount"
       from order_requests where order_id = any($1::uuid[])`,
    [orderIds],
  );
  const reservations = await query<DbReservation>(
    input.inventoryDatabaseUrl,
    `select id::text as id, order_id::text as "orderId", sku, quantity, status::text as status
       from reservations where starts_with(sku, $1) or order_id = any($2::uuid[])`,
    [input.skuPrefix, orderIds],
  );
  const adjustmentRows = await query<{ sku: string; delta: number; reason: string }>(
    input.inventoryDatabaseUrl,
    `select sku, delta, reason from stock_adjustments where starts_with(sku, $1)`,
    [input.skuPrefix],
  );

  // Every order the harness got an answer for is there, once per idempotency key; nothing else is.
  const byKey = new Map<string, DbOrder[]>();
  for (const order of orders.values()) {
    const key = `${order.customer}\n${order.key ?? ""}`;
    byKey.set(key, [...(byKey.get(key) ?? []), order]);
  }
  const sentKeys = new Set(input.placed.map((order) => `${order.customer}\n${order.idempotencyKey}`));
  for (const [key, same] of byKey) {
    if (!sentKeys.has(key))
      fail("no phantom orders", `order ${same[0]?.id} has an idempotency key the harness never sent`);
    if (same.length > 1)
      fail("one order per idempotency key", `${same.length} orders for key ${key.replace("\n", " / ")}`);
  }
  for (const placed of input.placed) {
    if (placed.outcome === "unanswered" || placed.outcome === "pending-request") {
      fail("every order request answered", `${placed.idempotencyKey}: ${placed.detail ?? placed.outcome}`);
      continue;
    }
    if (placed.outcome === "refused") {
      fail("every order request accepted", `${placed.idempotencyKey}: ${placed.detail}`);
      continue;
    }
    const order = placed.orderId ? orders.get(placed.orderId) : undefined;
    if (!order) {
      fail(
        "accepted orders exist",
        `order ${placed.orderId} (key ${placed.idempotencyKey}) is not in the database`,
      );
      continue;
    }
    const asked = placed.lines.map((line) => `${line.sku}x${line.quantity}`).sort();
    const stored = order.lines.map((line) => `${line.sku}x${line.requested}`).sort();
    if (asked.join() !== stored.join())
      fail("orders stored as asked", `${order.id}: asked ${asked}, stored ${stored}`);
    const cancel = placed.cancel?.outcome;
    if ((cancel === 202 || cancel === 200) && order.status !== "CANCELLED") {
      fail(
        "acknowledged cancellations hold",
        `${order.id}: cancel answered ${cancel}, order is ${order.status}`,
      );
    }
    if (cancel === 409 && order.status !== "REJECTED") {
      fail(
        "refused cancellations are of rejected orders",
        `${order.id}: cancel answered 409, order is ${order.status}`,
      );
    }
  }

  const ordersByStatus: Record<string, number> = {};
  const rejectionReasons: Record<string, number> = {};
  for (const order of orders.values()) {
    count(ordersByStatus, order.status);
    if (order.status === "REJECTED") count(rejectionReasons, order.reason ?? "none");
    if (order.status === "PENDING") fail("every order final", `${order.id} is still PENDING`);
  }

  // Each order's final state agrees with the inventory's view of it.
  const requestOf = new Map(requests.map((request) => [request.orderId, request]));
  const reservationsOf = new Map<string, DbReservation[]>();
  for (const reservation of reservations) {
    reservationsOf.set(reservation.orderId, [
      ...(reservationsOf.get(reservation.orderId) ?? []),
      reservation,
    ]);
  }
  for (const reservation of reservations) {
    if (!orders.has(reservation.orderId)) {
      fail(
        "no phantom reservations",
        `reservation ${reservation.id} of unknown order ${reservation.orderId}`,
      );
    }
    if (reservation.status === "ACTIVE") {
      fail("no reservation left active", `reservation ${reservation.id} of ${reservation.orderId} is ACTIVE`);
    }
  }
  for (const order of orders.values()) {
    const request = requestOf.get(order.id);
    const held = reservationsOf.get(order.id) ?? [];
    const expectedRequest =
      order.status === "CONFIRMED" || order.status === "ADJUSTED" ? "COMMITTED" : "RELEASED";
    if (!request) {
      fail("the inventory saw every order", `no order request for ${order.id} (${order.status})`);
    } else {
      if (request.status !== expectedRequest) {
        fail(
          "order and inventory agree",
          `${order.id} is ${order.status}, its order request ${request.status}`,
        );
      }
      if (request.lineCount !== order.lines.length) {
        fail(
          "order and inventory agree",
          `${order.id}: ${order.lines.length} lines, request says ${request.lineCount}`,
        );
      }
    }
    const skus = new Set(order.lines.map((line) => line.sku));
    const perSku = new Map<string, DbReservation[]>();
    for (const reservation of held) {
      if (!skus.has(reservation.sku)) {
        fail(
          "order and inventory agree",
          `${order.id}: reservation for ${reservation.sku}, not a line of the order`,
        );
      }
      perSku.set(reservation.sku, [...(perSku.get(reservation.sku) ?? []), reservation]);
    }
    for (const line of order.lines) {
      const forLine = perSku.get(line.sku) ?? [];
      if (forLine.length > 1)
        fail("at most one reservation per line", `${order.id} ${line.sku}: ${forLine.length}`);
      const reservation = forLine[0];
      if (line.reservationId !== null && reservation?.id !== line.reservationId) {
        fail(
          "order and inventory agree",
          `${order.id} ${line.sku}: the line holds reservation ${line.reservationId}, the inventory ${reservation?.id ?? "none"}`,
        );
      }
      const committedUnits = reservation?.status === "COMMITTED" ? reservation.quantity : 0;
      const expectedUnits =
        order.status === "CONFIRMED" || order.status === "ADJUSTED" ? (line.confirmed ?? 0) : 0;
      if (committedUnits !== expectedUnits) {
        fail(
          "order and inventory agree",
          `${order.id} (${order.status}) ${line.sku}: order says ${expectedUnits} units committed, inventory ${committedUnits} (${reservation?.status ?? "no reservation"})`,
        );
      }
      if (order.status === "CONFIRMED" && line.confirmed !== line.requested) {
        fail(
          "order and inventory agree",
          `${order.id} CONFIRMED but ${line.sku} has ${line.confirmed}/${line.requested}`,
        );
      }
    }
  }

  // Stock: onHand = initial + adjustments − units committed to orders not cancelled; nothing reserved.
  const adjustedBySku = sumBy(
    adjustmentRows,
    (row) => row.sku,
    (row) => row.delta,
  );
  const committedByOrders = new Map<string, number>();
  for (const order of orders.values()) {
    if (order.status !== "CONFIRMED" && order.status !== "ADJUSTED") continue;
    for (const line of order.lines) {
      committedByOrders.set(line.sku, (committedByOrders.get(line.sku) ?? 0) + (line.confirmed ?? 0));
    }
  }
  const committedByReservations = sumBy(
    reservations.filter((reservation) => reservation.status === "COMMITTED"),
    (reservation) => reservation.sku,
    (reservation) => reservation.quantity,
  );
  const stock: Verification["stock"] = [];
  for (const [sku, initial] of input.initialStock) {
    const product = products.find((candidate) => candidate.sku === sku);
    if (!product) {
      fail("stock balances", `product ${sku} is missing`);
      continue;
    }
    const adjusted = adjustedBySku.get(sku) ?? 0;
    const committed = committedByOrders.get(sku) ?? 0;
    stock.push({ sku, initial, adjusted, committed, onHand: product.onHand });
    if (product.onHand !== initial + adjusted - committed) {
      fail(
        "stock balances",
        `${sku}: onHand ${product.onHand} ≠ initial ${initial} + adjustments ${adjusted} − committed ${committed}`,
      );
    }
    if ((committedByReservations.get(sku) ?? 0) !== committed) {
      fail(
        "stock balances",
        `${sku}: orders hold ${committed} committed units, committed reservations ${committedByReservations.get(sku) ?? 0}`,
      );
    }
    if (product.reserved !== 0) fail("nothing reserved at the end", `${sku}: reserved ${product.reserved}`);
    if (product.onHand - product.reserved < 0) fail("available never negative", `${sku} at the end`);
  }

  // Adjustments: each at most once; each acknowledged one exactly once.
  const appliedReasons = new Map<string, number>();
  for (const row of adjustmentRows) appliedReasons.set(row.reason, (appliedReasons.get(row.reason) ?? 0) + 1);
  const adjustmentFigures = { applied: 0, refused: 0, ambiguous: 0, ambiguousApplied: 0 };
  for (const adjustment of input.adjustments) {
    const times = appliedReasons.get(adjustment.reason) ?? 0;
    if (times > 1) fail("no effect applied twice", `adjustment ${adjustment.reason} applied ${times} times`);
    if (adjustment.outcome === 200) {
      adjustmentFigures.applied++;
      if (times !== 1)
        fail("acknowledged adjustments hold", `${adjustment.reason} answered 200, applied ${times} times`);
    } else if (adjustment.outcome === "ambiguous") {
      adjustmentFigures.ambiguous++;
      if (times === 1) adjustmentFigures.ambiguousApplied++;
    } else {
      adjustmentFigures.refused++;
      if (times !== 0)
        fail(
          "refused adjustments change nothing",
          `${adjustment.reason} answered ${adjustment.outcome}, applied`,
        );
    }
  }
  const known = new Set(input.adjustments.map((adjustment) => adjustment.reason));
  for (const reason of appliedReasons.keys()) {
    if (!known.has(reason)) fail("no phantom adjustments", `adjustment ${reason} was never requested`);
  }

  // Inboxes: an event id at most once per consumer; outboxes drained.
  for (const [name, url] of [
    ["order", input.orderDatabaseUrl],
    ["inventory", input.inventoryDatabaseUrl],
  ] as const) {
    const twice = await query<{ consumer: string; eventId: string; n: number }>(
      url,
      `select consumer, event_id::text as "eventId", count(*)::int as n from inbox group by 1, 2 having count(*) > 1`,
    );
    for (const row of twice)
      fail("no inbox event id twice", `${name}: ${row.eventId} ${row.n} times for ${row.consumer}`);
    const [outbox] = await query<{ n: number }>(url, `select count(*)::int as n from outbox`);
    if ((outbox?.n ?? 0) > 0) fail("outboxes drained", `${name}: ${outbox?.n} rows left in the outbox`);
  }

  // ---------------------------------------------------------------- the topics
  const records = await readRecords(
    input.kafka,
    ["order-events", "reservation-events", "stock-events", "dead-letters"],
    input.startOffsets,
  );
  const poisonById = new Map(input.poison.map((poison) => [poison.id, poison]));
  const poisonOrderIds = new Set(input.poison.flatMap((poison) => poison.fakeOrderIds));
  const skuSet = new Set(input.initialStock.keys());
  const topics: Verification["topics"] = {};
  const first = new Map<string, Delivered>();
  const delivered: Delivered[] = [];
  const deadLetters: RawRecord[] = [];
  for (const record of records) {
    if (record.topic === "dead-letters") {
      deadLetters.push(record);
      continue;
    }
    const figures = topics[record.topic] ?? { records: 0, events: 0, duplicateDeliveries: 0 };
    topics[record.topic] = figures;
    figures.records++;
    if (header(record.message, POISON_HEADER) !== undefined) continue;
    let event: IntegrationEvent;
    try {
      if (!record.message.value) throw new Error("no value");
      event = await input.codec.decode(record.topic, record.message.value);
    } catch (error) {
      fail(
        "only events on the saga topics",
        `${record.topic}/${record.partition}@${record.offset}: ${String(error)}`,
      );
      continue;
    }
    const ours =
      "orderId" in event
        ? orders.has(event.orderId)
        : "sku" in event && typeof event.sku === "string" && skuSet.has(event.sku);
    if ("orderId" in event && poisonOrderIds.has(event.orderId)) {
      fail(
        "poison has no effect",
        `${event.type} ${event.metadata.eventId} about poison order ${event.orderId}`,
      );
    }
    if (!ours) continue;
    const seen = first.get(event.metadata.eventId);
    if (seen) {
      figures.duplicateDeliveries++;
      if (!seen.record.message.value?.equals(record.message.value ?? Buffer.alloc(0))) {
        fail(
          "a duplicate is the same event",
          `event ${event.metadata.eventId} arrived with different content`,
        );
      }
      continue;
    }
    figures.events++;
    const entry = { record, event };
    first.set(event.metadata.eventId, entry);
    delivered.push(entry);
  }

  // Per order, recomputed from its events alone (first deliveries, in partition order).
  const trails = new Map<string, IntegrationEvent[]>();
  // Records come in partition order; one order's events share a partition on each topic.
  for (const { event } of delivered) {
    if (!("orderId" in event)) continue;
    trails.set(event.orderId, [...(trails.get(event.orderId) ?? []), event]);
  }
  const cancelled = { whilePending: 0, afterDecision: 0 };
  const eventCommitted = new Map<string, number>();
  const eventReserved = new Map<string, number>();
  const orderEventIds: string[] = [];
  const reservationEventIds: string[] = [];
  for (const order of orders.values()) {
    const trail = trails.get(order.id) ?? [];
    const decisions = trail.filter((event) => DECISION_STATUS[event.type] !== undefined);
    const requested = trail.filter((event) => event.type === "OrderRequested");
    for (const event of trail) {
      (event.type.startsWith("Order") ? orderEventIds : reservationEventIds).push(event.metadata.eventId);
    }
    if (requested.length !== 1) fail("one OrderRequested per order", `${order.id}: ${requested.length}`);
    const last = decisions.at(-1);
    const fromEvents = last ? DECISION_STATUS[last.type] : "PENDING";
    if (fromEvents !== order.status) {
      fail(
        "events and databases agree",
        `${order.id}: the database says ${order.status}, its events ${fromEvents}`,
      );
    }
    if (last?.type === "OrderRejected" && last.reason !== order.reason) {
      fail(
        "events and databases agree",
        `${order.id}: rejected for ${order.reason}, its event says ${last.reason}`,
      );
    }
    if (order.status === "CANCELLED") {
      const before = decisions.slice(0, -1);
      if (before.length === 0) cancelled.whilePending++;
      else cancelled.afterDecision++;
    }
    for (const type of ["OrderCancelled", "OrderRejected", "StockCommitted", "StockReleased"] as const) {
      const n = trail.filter((event) => event.type === type).length;
      if (n > 1) fail("no effect applied twice", `${order.id}: ${n} distinct ${type} events`);
    }

    // Reservations, rebuilt from the answers.
    const rebuilt = new Map<string, { sku: string; quantity: number; status: DbReservation["status"] }>();
    const answers = new Map<string, number>();
    for (const event of trail) {
      switch (event.type) {
        case "StockReserved":
          answers.set(event.sku, (answers.get(event.sku) ?? 0) + 1);
          if (rebuilt.has(event.reservationId))
            fail("no effect applied twice", `reservation ${event.reservationId} made twice`);
          rebuilt.set(event.reservationId, {
            sku: event.sku,
            quantity: event.reservedQuantity,
            status: "ACTIVE",
          });
          eventReserved.set(event.sku, (eventReserved.get(event.sku) ?? 0) + event.reservedQuantity);
          break;
        case "StockRejected":
          answers.set(event.sku, (answers.get(event.sku) ?? 0) + 1);
          break;
        case "StockRequestAnswered":
          for (const line of event.lines) {
            answers.set(line.sku, (answers.get(line.sku) ?? 0) + 1);
            if (line.reservedQuantity === 0) continue;
            if (line.reservationId === null) {
              fail(
                "events are consistent",
                `${order.id} ${line.sku}: units reserved without a reservation id`,
              );
              continue;
            }
            if (rebuilt.has(line.reservationId))
              fail("no effect applied twice", `reservation ${line.reservationId} made twice`);
            rebuilt.set(line.reservationId, {
              sku: line.sku,
              quantity: line.reservedQuantity,
              status: "ACTIVE",
            });
            eventReserved.set(line.sku, (eventReserved.get(line.sku) ?? 0) + line.reservedQuantity);
          }
          break;
        case "StockCommitted":
          for (const line of event.lines) {
            const reservation = rebuilt.get(line.reservationId);
            if (!reservation) {
              fail(
                "events are consistent",
                `${order.id}: commit of unknown reservation ${line.reservationId}`,
              );
              continue;
            }
            if (reservation.status !== "ACTIVE") {
              if (line.committedQuantity !== 0)
                fail(
                  "no effect applied twice",
                  `${order.id}: ${line.reservationId} committed while ${reservation.status}`,
                );
              continue;
            }
            eventReserved.set(
              reservation.sku,
              (eventReserved.get(reservation.sku) ?? 0) - reservation.quantity,
            );
            if (line.committedQuantity > 0) {
              rebuilt.set(line.reservationId, {
                ...reservation,
                quantity: line.committedQuantity,
                status: "COMMITTED",
              });
              eventCommitted.set(
                reservation.sku,
                (eventCommitted.get(reservation.sku) ?? 0) + line.committedQuantity,
              );
            } else {
              rebuilt.set(line.reservationId, { ...reservation, status: "RELEASED" });
            }
          }
          break;
        case "StockReleased":
          for (const line of event.lines) {
            const reservation = rebuilt.get(line.reservationId);
            if (!reservation) {
              fail(
                "events are consistent",
                `${order.id}: release of unknown reservation ${line.reservationId}`,
              );
              continue;
            }
            if (reservation.status === "ACTIVE" && !line.wasCommitted) {
              eventReserved.set(
                reservation.sku,
                (eventReserved.get(reservation.sku) ?? 0) - reservation.quantity,
              );
              rebuilt.set(line.reservationId, { ...reservation, status: "RELEASED" });
            } else if (reservation.status === "COMMITTED" && line.wasCommitted) {
              eventCommitted.set(
                reservation.sku,
                (eventCommitted.get(reservation.sku) ?? 0) - reservation.quantity,
              );
              rebuilt.set(line.reservationId, { ...reservation, status: "RELEASED" });
            } else {
              fail(
                "no effect applied twice",
                `${order.id}: ${line.reservationId} released while ${reservation.status}`,
              );
            }
          }
          break;
        case "ReservationExpired": {
          const reservation = rebuilt.get(event.reservationId);
          if (reservation?.status === "ACTIVE") {
            eventReserved.set(
              reservation.sku,
              (eventReserved.get(reservation.sku) ?? 0) - reservation.quantity,
            );
            rebuilt.set(event.reservationId, { ...reservation, status: "EXPIRED" });
          } else {
            fail(
              "events are consistent",
              `${order.id}: expiry of ${event.reservationId} while ${reservation?.status}`,
            );
          }
          break;
        }
        default:
          break;
      }
    }
    for (const line of order.lines) {
      const n = answers.get(line.sku) ?? 0;
      if (n !== 1) fail("one answer per line", `${order.id} ${line.sku}: ${n} answers from the inventory`);
    }
    const stored = reservationsOf.get(order.id) ?? [];
    if (stored.length !== rebuilt.size) {
      fail(
        "events and databases agree",
        `${order.id}: ${rebuilt.size} reservations in events, ${stored.length} stored`,
      );
    }
    for (const reservation of stored) {
      const fromEventsReservation = rebuilt.get(reservation.id);
      if (
        !fromEventsReservation ||
        fromEventsReservation.status !== reservation.status ||
        fromEventsReservation.quantity !== reservation.quantity
      ) {
        fail(
          "events and databases agree",
          `${order.id} reservation ${reservation.id}: stored ${reservation.status} ${reservation.quantity}, events ${fromEventsReservation?.status ?? "none"} ${fromEventsReservation?.quantity ?? ""}`,
        );
      }
    }
  }
  for (const entry of stock) {
    const fromEvents = eventCommitted.get(entry.sku) ?? 0;
    if (fromEvents !== entry.committed) {
      fail(
        "events and databases agree",
        `${entry.sku}: ${fromEvents} units committed by events, ${entry.committed} by the databases`,
      );
    }
    const stillReserved = eventReserved.get(entry.sku) ?? 0;
    if (stillReserved !== 0)
      fail("events and databases agree", `${entry.sku}: events leave ${stillReserved} units reserved`);
  }
  const eventAdjusted = sumBy(
    delivered.flatMap(({ event }) => (event.type === "StockAdjusted" ? [event] : [])),
    (event) => event.sku,
    (event) => event.delta,
  );
  for (const entry of stock) {
    if ((eventAdjusted.get(entry.sku) ?? 0) !== entry.adjusted) {
      fail(
        "events and databases agree",
        `${entry.sku}: StockAdjusted events sum to ${eventAdjusted.get(entry.sku) ?? 0}, stock_adjustments to ${entry.adjusted}`,
      );
    }
  }

  // Every event each consumer was sent is in its inbox (applied, or recognised as a duplicate).
  for (const [name, url, consumer, ids] of [
    ["inventory", input.inventoryDatabaseUrl, "inventory-service", orderEventIds],
    ["order", input.orderDatabaseUrl, "order-service", reservationEventIds],
  ] as const) {
    const found = new Set(
      (
        await query<{ eventId: string }>(
          url,
          `select event_id::text as "eventId" from inbox where consumer = $1 and event_id = any($2::uuid[])`,
          [consumer, ids],
        )
      ).map((row) => row.eventId),
    );
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      fail(
        "every event consumed",
        `${missing.length} events never reached the ${name} inbox, e.g. ${missing.slice(0, 3).join(", ")}`,
      );
    }
  }

  // ---------------------------------------------------------------- dead letters
  const deadLettersByReason: Record<string, number> = {};
  let earlierPoison = 0;
  const letteredTimes = new Map<string, number>();
  for (const record of deadLetters) {
    const reason = header(record.message, "dlt-reason");
    const origin = header(record.message, "dlt-origin-topic");
    const poisonId = header(record.message, POISON_HEADER);
    const poison = poisonId ? poisonById.get(poisonId) : undefined;
    if (!poison && poisonId !== undefined && header(record.message, POISON_RUN_HEADER) !== input.runTag) {
      // Poison an earlier (interrupted) run left unconsumed: not a legitimate event either.
      earlierPoison++;
      continue;
    }
    count(deadLettersByReason, reason ?? "(no reason)");
    if (!poison) {
      let what = "not decodable";
      try {
        if (record.message.value && origin) {
          const event = await input.codec.decode(origin, record.message.value);
          what = `${event.type} ${event.metadata.eventId}`;
        }
      } catch {
        // described as not decodable
      }
      fail(
        "nothing legitimate dead-lettered",
        `${what} from ${origin ?? "?"}: ${reason ?? "no reason"} (${header(record.message, "dlt-detail") ?? ""})`,
      );
      continue;
    }
    letteredTimes.set(poison.id, (letteredTimes.get(poison.id) ?? 0) + 1);
    if (!reason) fail("dead letters say why", `poison ${poison.kind} on ${poison.topic} has no dlt-reason`);
    else if (reason !== poison.expectedReason) {
      fail(
        "dead letters say why",
        `poison ${poison.kind} on ${poison.topic}: reason ${reason}, expected ${poison.expectedReason}`,
      );
    }
    if (origin !== poison.topic)
      fail("dead letters say where from", `poison ${poison.kind} on ${poison.topic}: origin ${origin}`);
    if (record.message.key?.toString() !== poison.key)
      fail("dead letters keep the key", `poison ${poison.id}`);
  }
  for (const poison of input.poison) {
    if (!letteredTimes.has(poison.id))
      fail("every poison dead-lettered", `${poison.kind} on ${poison.topic} (${poison.id})`);
  }
  const poisonDeadLetteredAgain = [...letteredTimes.values()].filter((times) => times > 1).length;
  const poisonTraces = await query<{ orderId: string }>(
    input.inventoryDatabaseUrl,
    `select order_id::text as "orderId" from order_requests where order_id = any($1::uuid[])`,
    [[...poisonOrderIds]],
  );
  for (const row of poisonTraces)
    fail("poison has no effect", `order request ${row.orderId} recorded from poison`);

  return {
    violations,
    ordersByStatus,
    rejectionReasons,
    cancelled,
    deadLettersByReason,
    poisonDeadLetteredAgain,
    earlierPoison,
    topics,
    stock,
    adjustments: adjustmentFigures,
  };
}
