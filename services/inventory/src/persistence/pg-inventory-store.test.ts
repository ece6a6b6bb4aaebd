import { createPool } from "@stocksaga/messaging";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InventoryApplication, type Reaction } from "../application/inventory.js";
import {
  CONSUMER,
  orderCancelled,
  orderConfirmed,
  orderRejected,
  orderRequested,
  published,
  reacting,
  route,
  TTL_MS,
} from "../application/testing.js";
import {
  decide,
  evolve,
  inventoryState,
  ProductAlreadyExists,
  UnknownOrderRequest,
} from "../domain/index.js";
import { InMemoryInventoryStore } from "./in-memory-inventory-store.js";
import type { InventoryStore } from "./inventory-store.js";
import { PgInventoryStore } from "./pg-inventory-store.js";
import { type ThrowawayDatabase, throwawayInventoryDatabase } from "./throwaway-database.js";

const START = new Date("2030-01-01T10:00:00.000Z");

let database: ThrowawayDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await throwawayInventoryDatabase();
  pool = createPool(database.url, 4);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** The same reactions, in the same batches, through the application on the given store. */
async function playScenario(store: InventoryStore, batches: readonly Reaction[][], now: { at: Date }) {
  const inventory = new InventoryApplication({ store, route, clock: () => now.at });
  for (const [sku, onHand] of [
    ["SKU-A", 10],
    ["SKU-B", 1],
  ] as const) {
    await inventory.createProduct({ sku, name: `Product ${sku}`, onHand, traceparent: null });
  }
  const outcomes: string[] = [];
  for (const batch of batches) {
    now.at = new Date(now.at.getTime() + 1_000);
    const refusals = await inventory.reactAll(batch);
    outcomes.push(...refusals.map((refusal) => refusal?.constructor.name ?? "applied"));
  }
  await inventory.adjustStock({
    sku: "SKU-A",
    delta: -1,
    reason: "damaged",
    actor: "admin-1",
    traceparent: null,
  });
  now.at = new Date(now.at.getTime() + TTL_MS);
  const sweep = await inventory.expireOverdue(10);
  return { outcomes, expired: sweep.expired.map(({ orderId }) => orderId), failures: sweep.failures };
}

describe("PgInventoryStore does what the in-memory store does", () => {
  it("a saga of batches leaves the same rows, answers and outbox in both", async () => {
    const clock = { at: START };
    const reactions = reacting(() => clock.at);
    const first = orderRequested([
      ["SKU-A", 3],
      ["SKU-B", 2],
      ["SKU-Z", 1],
    ]);
    const second = orderRequested([["SKU-A", 6]], { fulfilment: "ALL_OR_NOTHING" });
    const third = orderRequested([["SKU-A", 4]]);
    const unseen = orderRequested([["SKU-A", 1]]);
    const stranger = orderConfirmed("9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d", [["SKU-A", 1]]);
    const batches = [
      reactions(first, second, third, orderRejected(unseen.orderId)),
      reactions(stranger, orderConfirmed(first.orderId, [["SKU-A", 2]]), unseen),
      reactions(orderCancelled(first.orderId), orderRejected(second.orderId)),
      reactions(orderRequested([["SKU-A", 1]], { orderId: first.orderId })),
    ];
    const expiring = orderRequested([["SKU-B", 1]]);
    batches.push(reactions(expiring));

    const memory = new InMemoryInventoryStore();
    const postgres = new PgInventoryStore(pool);
    const inMemory = await playScenario(memory, batches, { at: START });
    const onPostgres = await playScenario(postgres, batches, { at: START });

    expect(onPostgres).toEqual(inMemory);
    expect(inMemory.outcomes).toContain(UnknownOrderRequest.name);
    expect(inMemory.expired).toEqual([third.orderId, expiring.orderId]);

    const orderIds = [first, second, third, unseen, expiring].map((order) => order.orderId);
    for (const orderId of orderIds) {
      expect(await postgres.reservationsOfOrder(orderId)).toEqual(await memory.reservationsOfOrder(orderId));
    }
    expect(await postgres.listProducts({ limit: 10 })).toEqual(await memory.listProducts({ limit: 10 }));
    expect(await postgres.listProducts({ limit: 10, after: "SKU-A" })).toEqual([
      expect.objectContaining({ sku: "SKU-B" }),
    ]);
    expect(await postgres.findProduct("SKU-B")).toEqual(await memory.findProduct("SKU-B"));
    expect(await postgres.findProduct("SKU-Z")).toBeUndefined();
    expect(await postgres.overdueReservations(new Date(START.getTime() + 10 * TTL_MS), 10)).toEqual([]);

    const locked = await postgres.transaction((tx) => tx.lockOrderRequests(orderIds));
    expect(locked).toEqual(await memory.transaction((tx) => tx.lockOrderRequests(orderIds)));
    expect(locked.map((order) => order.orderId)).toEqual([...orderIds].sort());
    expect(locked.find((order) => order.orderId === third.orderId)?.reservations).toEqual([
      expect.objectContaining({ sku: "SKU-A", requestedQuantity: 4, quantity: 1, status: "EXPIRED" }),
    ]);

    const outbox = await pool.query<{ payload: { metadata: { eventId: string } } }>(
      "select payload from outbox order by id",
    );
    // Event ids and the spans of trace contexts are drawn at random.
    const withoutIds = (events: { metadata: { eventId: string } }[]) =>
      events.map((event) => ({ ...event, metadata: { ...event.metadata, eventId: "", traceparent: "" } }));
    expect(withoutIds(outbox.rows.map((row) => row.payload))).toEqual(withoutIds(published(memory.outbox)));
    const adjustments = await pool.query(
      "select sku, delta, reason, actor, created_at from stock_adjustments",
    );
    expect(adjustments.rows).toEqual(
      memory.adjustments.map(({ sku, delta, reason, actor, createdAt }) => ({
        sku,
        delta,
        reason,
        actor,
        created_at: createdAt,
      })),
    );
  });
});

describe("the guards behind the locks", () => {
  it("refuses to write over a row that changed since it was locked, and writes nothing of the decision", async () => {
    const store = new PgInventoryStore(pool);
    const inventory = new InventoryApplication({ store, route, clock: () => START });
    await inventory.createProduct({ sku: "SKU-GUARD", name: "Guarded", onHand: 5, traceparent: null });
    const stale = inventoryState({ products: [{ sku: "SKU-GUARD", onHand: 4, reserved: 0 }] });
    const events = decide(
      { type: "AdjustStock", sku: "SKU-GUARD", delta: 1, reason: "found", actor: "admin-1", now: START },
      stale,
    );
    await expect(
      store.transaction((tx) =>
        tx.save({ before: stale, after: events.reduce(evolve, stale), events, at: START }),
      ),
    ).rejects.toThrow(/changed under a held lock/);
    expect(await store.findProduct("SKU-GUARD")).toMatchObject({ onHand: 5 });
    const audit = await pool.query("select 1 from stock_adjustments where sku = 'SKU-GUARD'");
    expect(audit.rowCount).toBe(0);
  });

  it("refuses a product created by someone else between the lock and the insert", async () => {
    const store = new PgInventoryStore(pool);
    const empty = inventoryState({});
    const events = decide(
      { type: "CreateProduct", sku: "SKU-RACE", name: "Race", onHand: 1, now: START },
      empty,
    );
    const save = () =>
      store.transaction((tx) =>
        tx.save({ before: empty, after: events.reduce(evolve, empty), events, at: START }),
      );
    await save();
    await expect(save()).rejects.toBeInstanceOf(ProductAlreadyExists);
  });

  it("claims each event once per consumer, and a claim taken back can be claimed again", async () => {
    const store = new PgInventoryStore(pool);
    const [reaction] = reacting(() => START)(orderRejected("7a1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d"));
    if (!reaction) throw new Error("no reaction");
    const entry = { eventId: reaction.received.event.metadata.eventId, ...reaction.received };
    expect(await store.transaction((tx) => tx.claimInbox(CONSUMER, [entry, entry]))).toEqual([true, false]);
    expect(await store.transaction((tx) => tx.claimInbox(CONSUMER, [entry]))).toEqual([false]);
    await store.transaction((tx) => tx.unclaimInbox(CONSUMER, [entry.eventId]));
    expect(await store.transaction((tx) => tx.claimInbox(CONSUMER, [entry]))).toEqual([true]);
  });

  it("answers the readiness ping", async () => {
    expect(await new PgInventoryStore(pool).ping()).toBe(true);
  });
});
