import { Writable } from "node:stream";
import type { ChangeFeed } from "@stocksaga/messaging";
import { AdmissionControl, createLogger, issueToken, type Problem } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { type AdmissionLimits, orderBacklogSignals } from "../admission.js";
import { OrderApplication } from "../application/orders.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { createOrderHttpApp } from "./app.js";

const secret = "component-test-secret-0123456789abcdef";
const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));
const NO_LIMITS: AdmissionLimits = {
  ADMISSION_MAX_PENDING_ORDERS: 0,
  ADMISSION_MAX_PENDING_AGE_MS: 0,
  ADMISSION_MAX_OUTBOX_EVENTS: 0,
  ADMISSION_MAX_CONSUMER_LAG: 0,
  ADMISSION_MAX_PLACEMENT_QUEUE: 0,
};

/** The order routes with admission control on an in-memory store, and a backlog the test sets. */
async function api(limits: Partial<AdmissionLimits>, now = () => new Date()) {
  const store = new InMemoryOrderStore(now);
  const orders = new OrderApplication({
    store,
    decisionTimeoutMs: 30_000,
    clock: now,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
  });
  const elsewhere = { outbox: 0, lag: 0 };
  const backlog = orderBacklogSignals(
    {
      pendingBacklog: () => store.pendingBacklog(),
      outboxBacklog: async () => elsewhere.outbox,
      consumerLag: () => elsewhere.lag,
      placementsWaiting: () => orders.placementsWaiting,
    },
    { ...NO_LIMITS, ...limits },
  );
  const admission = new AdmissionControl({
    ...backlog,
    intervalMs: 60_000,
    baseRetryAfterSeconds: 1,
    logger: silent,
  });
  await admission.start();
  const app = createOrderHttpApp({
    store,
    orders,
    changes: {} as ChangeFeed,
    jwtSecret: secret,
    logger: silent,
    readiness: [],
    admission: admission.middleware(),
  });
  const place = async () =>
    app.request("/orders", {
      method: "POST",
      body: JSON.stringify({ items: [{ sku: "SKU-MUG", quantity: 1 }] }),
      headers: {
        authorization: `Bearer ${await issueToken(secret, { sub: "alice" })}`,
        "content-type": "application/json",
      },
    });
  return { store, admission, elsewhere, place };
}

async function expectRefused(response: Response, signal: RegExp, retryAfter: string): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("retry-after")).toBe(retryAfter);
  const problem = (await response.json()) as Problem;
  expect(problem.type).toBe("urn:stocksaga:problem:overloaded");
  expect(problem.detail).toMatch(signal);
}

describe("admission control of POST /orders", () => {
  it("takes orders until as many are pending as the limit, then refuses without placing one", async () => {
    const { store, admission, place } = await api({ ADMISSION_MAX_PENDING_ORDERS: 2 });
    expect((await place()).status).toBe(202);
    expect((await place()).status).toBe(202);
    await admission.refresh();

    await expectRefused(await place(), /pending orders is 2 orders, at or past its limit of 2/, "1");
    expect((await store.pendingBacklog()).pendingOrders).toBe(2);
  });

  it("refuses once 50 pending orders have waited too long, asking for a longer wait further past it", async () => {
    let now = new Date("2026-12-05T12:00:00Z");
    const { admission, place } = await api({ ADMISSION_MAX_PENDING_AGE_MS: 5_000 }, () => now);
    for (let i = 0; i < 49; i++) expect((await place()).status).toBe(202);
    now = new Date(now.getTime() + 60_000);
    await admission.refresh();
    // 49 orders stuck for a minute (a lost answer, say) do not refuse everyone.
    expect((await place()).status).toBe(202);

    now = new Date(now.getTime() + 4_999);
    await admission.refresh();
    expect((await place()).status).toBe(202);
    now = new Date(now.getTime() + 10_001);
    await admission.refresh();
    await expectRefused(await place(), /pending orders' age is 15000 ms old/, "3");
  });

  it("refuses while the outbox or the consumer is behind, and takes orders again once they caught up", async () => {
    const { admission, elsewhere, place } = await api({
      ADMISSION_MAX_OUTBOX_EVENTS: 100,
      ADMISSION_MAX_CONSUMER_LAG: 100,
    });
    elsewhere.outbox = 150;
    await admission.refresh();
    await expectRefused(await place(), /outbox is 150 events/, "2");

    elsewhere.outbox = 0;
    elsewhere.lag = 100;
    await admission.refresh();
    await expectRefused(await place(), /consumer lag is 100 events/, "1");

    elsewhere.lag = 99;
    await admission.refresh();
    expect((await place()).status).toBe(202);
  });

  it("takes every order when each limit is 0 (off)", async () => {
    const { admission, elsewhere, place } = await api({});
    elsewhere.outbox = 1e9;
    elsewhere.lag = 1e9;
    for (let i = 0; i < 5; i++) expect((await place()).status).toBe(202);
    await admission.refresh();
    expect((await place()).status).toBe(202);
  });

  it("reads the placement queue and the consumer lag live, at each request", async () => {
    let waiting = 0;
    const { live } = orderBacklogSignals(
      {
        pendingBacklog: async () => ({ pendingOrders: 0, pendingAgeMs: 0 }),
        outboxBacklog: async () => 0,
        consumerLag: () => 7,
        placementsWaiting: () => waiting,
      },
      { ...NO_LIMITS, ADMISSION_MAX_PLACEMENT_QUEUE: 300 },
    );
    expect(live().find((s) => s.name === "placement queue")).toMatchObject({ value: 0, limit: 300 });
    waiting = 301;
    expect(live().find((s) => s.name === "placement queue")).toMatchObject({ value: 301, limit: 300 });
    expect(live().find((s) => s.name === "consumer lag")).toMatchObject({ value: 7 });
  });
});
