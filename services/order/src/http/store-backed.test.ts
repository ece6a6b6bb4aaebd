import { Writable } from "node:stream";
import type { ChangeFeed } from "@stocksaga/messaging";
import { createLogger, issueToken } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { OrderApplication } from "../application/orders.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { createOrderHttpApp } from "./app.js";
import type { OrderView } from "./order-view.js";

const secret = "component-test-secret-0123456789abcdef";

function api() {
  const store = new InMemoryOrderStore();
  const orders = new OrderApplication({
    store,
    decisionTimeoutMs: 30_000,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
  });
  const app = createOrderHttpApp({
    store,
    orders,
    changes: {} as ChangeFeed,
    jwtSecret: secret,
    logger: createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() })),
    readiness: [],
  });
  const as = async (customerId: string, admin = false) => ({
    authorization: `Bearer ${await issueToken(secret, { sub: customerId, ...(admin ? { roles: ["admin"] } : {}) })}`,
  });
  const place = async (customerId: string, body: object, key?: string) =>
    app.request("/orders", {
      method: "POST",
      body: JSON.stringify(body),
      headers: {
        ...(await as(customerId)),
        "content-type": "application/json",
        ...(key ? { "idempotency-key": key } : {}),
      },
    });
  return { app, store, as, place };
}

const ONE_MUG = { items: [{ sku: "SKU-MUG", quantity: 2 }] };

describe("order routes on a store", () => {
  it("answers two requests with one Idempotency-Key sent at once with one order, and another body with 409", async () => {
    const { place, store } = api();

    const [first, again] = await Promise.all([
      place("alice", ONE_MUG, "key-1"),
      place("alice", ONE_MUG, "key-1"),
    ]);
    const other = await place("alice", { items: [{ sku: "SKU-MUG", quantity: 3 }] }, "key-1");

    expect([first.status, again.status, other.status]).toEqual([202, 202, 409]);
    const [a, b] = [(await first.json()) as OrderView, (await again.json()) as OrderView];
    expect(b.orderId).toBe(a.orderId);
    // Which of the two was placed and which replayed depends on which the server read first.
    const replayed = [first, again].map(
      (response) => response.headers.get("idempotent-replayed") ?? "absent",
    );
    expect(replayed.sort()).toEqual(["absent", "true"]);
    expect((await store.listOrders({ customerId: "alice", limit: 10 })).orders).toHaveLength(1);
  });

  it("reads back what it placed: the order, the customer's list, the history; another customer sees none of it", async () => {
    const { app, as, place } = api();
    const placed = (await (await place("alice", ONE_MUG)).json()) as OrderView;

    const read = await app.request(`/orders/${placed.orderId}`, { headers: await as("alice") });
    expect(await read.json()).toEqual(placed);
    const list = (await (await app.request("/orders", { headers: await as("alice") })).json()) as {
      items: OrderView[];
      nextCursor: string | null;
    };
    expect(list).toEqual({ items: [placed], nextCursor: null });
    const timeline = (await (
      await app.request(`/orders/${placed.orderId}/timeline`, { headers: await as("alice") })
    ).json()) as { events: { type: string; direction: string; topic: string | null }[] };
    expect(timeline.events.map((event) => [event.type, event.direction, event.topic])).toEqual([
      ["OrderRequested", "EMITTED", "order-events"],
    ]);

    expect((await app.request(`/orders/${placed.orderId}`, { headers: await as("mallory") })).status).toBe(
      404,
    );
    const theirs = (await (await app.request("/orders", { headers: await as("mallory") })).json()) as {
      items: OrderView[];
    };
    expect(theirs.items).toEqual([]);
  });

  it("pages through a customer's orders, newest first", async () => {
    const { app, as, place } = api();
    const placed: string[] = [];
    for (let i = 0; i < 3; i++)
      placed.push(((await (await place("bob", ONE_MUG)).json()) as OrderView).orderId);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/orders?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await (await app.request(url, { headers: await as("bob") })).json()) as {
        items: OrderView[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((item) => item.orderId));
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen.sort()).toEqual([...placed].sort());
    expect(seen).toHaveLength(3);
  });

  it("cancels for an admin, who is named as the canceller", async () => {
    const { app, as, place, store } = api();
    const placed = (await (await place("alice", ONE_MUG)).json()) as OrderView;

    const body = JSON.stringify({ reason: "suspected fraud" });
    const response = await app.request(`/orders/${placed.orderId}/cancel`, {
      method: "POST",
      headers: {
        ...(await as("stock-admin", true)),
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    });

    expect(response.status).toBe(202);
    expect(((await response.json()) as OrderView).reason).toBe("suspected fraud");
    expect((await store.findOrder(placed.orderId))?.cancellation).toEqual({
      reason: "suspected fraud",
      cancelledBy: "stock-admin",
    });
  });
});
