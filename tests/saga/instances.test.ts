import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { type ServiceProcess, settings, startService } from "@stocksaga/deploy/stack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApiClient } from "../support/api.js";
import { freePort, TestSystem } from "../support/system.js";

/**
 * Two instances of the order service on one database, as two replicas behind a load balancer:
 * what holds across them (Idempotency-Key, in the database) and what holds per instance (the HTTP
 * rate limit, in each process's memory, as documented).
 */

const BURST = 5;
const limits = { HTTP_RATE_LIMIT_PER_SECOND: "1", HTTP_RATE_LIMIT_BURST: String(BURST) };

describe("two order service instances", () => {
  let system: TestSystem;
  let second: ServiceProcess;
  let secondUrl: string;

  beforeAll(async () => {
    system = await TestSystem.start({ order: limits });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = await startService(settings, "order", {
      port,
      logFile: join(settings.stackDir, "test-logs", "order-second.log"),
      env: {
        AUTH_JWT_SECRET: inject("jwtSecret"),
        LOG_LEVEL: "info",
        ORDER_SWEEP_INTERVAL_MS: "200",
        ...limits,
      },
    });
  });
  afterAll(async () => {
    await second?.stop();
    await system?.stop();
  });

  const clients = (customerId: string) =>
    [
      system.client(customerId),
      new ApiClient(secondUrl, system.url("inventory"), inject("jwtSecret"), customerId, false),
    ] as const;

  it("places one order for one Idempotency-Key sent to both at once, and refuses another body at either", async () => {
    const customer = `twice-${randomUUID()}`;
    const [atFirst, atSecond] = clients(customer);
    const key = randomUUID();
    const items = [{ sku: "ANY-SKU", quantity: 1 }];

    const [a, b] = await Promise.all([
      atFirst.placeOrder(items, { idempotencyKey: key }),
      atSecond.placeOrder(items, { idempotencyKey: key }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.orderId).toBe(a.body.orderId);
    const replayed = [a, b].map((reply) => reply.headers.get("idempotent-replayed") ?? "absent").sort();
    expect(replayed).toEqual(["absent", "true"]);

    const other = await atSecond.placeOrder([{ sku: "ANY-SKU", quantity: 2 }], { idempotencyKey: key });
    expect(other.status).toBe(409);
    const again = await atFirst.placeOrder(items, { idempotencyKey: key });
    expect([again.status, again.body.orderId]).toEqual([202, a.body.orderId]);
  });

  it("limits a client's rate per instance: a burst spent at one leaves the other's untouched", async () => {
    const customer = `burst-${randomUUID()}`;
    const [atFirst, atSecond] = clients(customer);
    const list = (client: ApiClient) => client.request<unknown>("order", "GET", "/orders");
    const statuses: number[] = [];
    while (statuses.at(-1) !== 429 && statuses.length < BURST * 4)
      statuses.push((await list(atFirst)).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, BURST)).toEqual(Array.from({ length: BURST }, () => 200));
    expect((await list(atSecond)).status).toBe(200);
  });
});
