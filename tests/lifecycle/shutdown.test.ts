import { randomUUID } from "node:crypto";
import { issueToken } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, eventually, FINAL, type OrderView, uniqueSku } from "../support/api.js";
import { type RawResponse, sendRaw } from "../support/raw-http.js";
import { TestSystem } from "../support/system.js";

const SHUTDOWN_TIMEOUT_MS = 10_000;
const ORDERS = 50;
const ADJUSTMENTS = 40;
const STOCK = 30;

interface Outcome {
  sentAt: number;
  response?: RawResponse;
  error?: Error;
}

/**
 * Sends every request at once, each on its own connection, and sends SIGTERM to `service` once
 * every request has been written out and the first answer is back (the service is busy with the
 * rest). Resolves with each request's outcome, the signal's time, the exit code and how long the
 * exit took.
 */
async function stopWhileBusy(
  system: TestSystem,
  service: "order" | "inventory",
  requests: readonly { method: string; path: string; headers: Record<string, string>; body: string }[],
): Promise<{ outcomes: Outcome[]; signalledAt: number; exitCode: number | null; stopMs: number }> {
  const outcomes: Outcome[] = requests.map(() => ({ sentAt: Number.POSITIVE_INFINITY }));
  let sent = 0;
  let answered = 0;
  let signal: (() => void) | undefined;
  const busy = new Promise<void>((resolve) => {
    signal = resolve;
  });
  const ready = () => {
    if (sent === requests.length && answered >= 1) signal?.();
  };
  const inFlight = requests.map(async (request, i) => {
    const outcome = outcomes[i] as Outcome;
    try {
      outcome.response = await sendRaw(system.url(service), request, {
        agent: false,
        timeoutMs: SHUTDOWN_TIMEOUT_MS * 2,
        onSent: () => {
          outcome.sentAt = Date.now();
          sent++;
          ready();
        },
      });
      answered++;
      ready();
    } catch (error) {
      outcome.error = error as Error;
    }
  });
  await busy;
  const signalledAt = Date.now();
  const exitCode = await system.stopService(service);
  const stopMs = Date.now() - signalledAt;
  await Promise.all(inFlight);
  return { outcomes, signalledAt, exitCode, stopMs };
}

/** Graceful shutdown on SIGTERM while requests and saga events are in flight: nothing is lost. */
describe("a service stopped with SIGTERM while busy", () => {
  let system: TestSystem;
  let admin: ApiClient;
  const settings = { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };

  beforeAll(async () => {
    system = await TestSystem.start({ order: settings, inventory: settings });
    admin = system.client(`shutdown-admin-${randomUUID()}`, { admin: true });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("answers what it accepted, exits 0 in time, and after a restart every order is decided with stock conserved", async () => {
    const sku = uniqueSku("SIGTERM");
    await admin.createProduct(sku, STOCK);
    const secret = inject("jwtSecret");
    const buyers = await Promise.all(
      Array.from({ length: ORDERS }, async (_, i) => {
        const customerId = `shutdown-buyer-${i}-${randomUUID()}`;
        return { customerId, token: await issueToken(secret, { sub: customerId }) };
      }),
    );

    // 1. The order service, with 50 orders being placed.
    const orders = await stopWhileBusy(
      system,
      "order",
      buyers.map(({ token }) => ({
        method: "POST",
        path: "/orders",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ items: [{ sku, quantity: 1 }] }),
      })),
    );
    expect(orders.exitCode).toBe(0);
    expect(orders.stopMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // Every request was written out before the signal: each gets its answer, none a reset.
    expect(orders.outcomes.every((o) => o.sentAt <= orders.signalledAt)).toBe(true);
    expect(orders.outcomes.map((o) => o.error?.message ?? o.response?.status)).toEqual(
      Array.from({ length: ORDERS }, () => 202),
    );
    const placed = orders.outcomes.map((o) => (JSON.parse(o.response?.body ?? "{}") as OrderView).orderId);

    // 2. The inventory, while it reserves for those orders and 40 stock adjustments arrive.
    const adminToken = await issueToken(secret, { sub: `shutdown-admin-${randomUUID()}`, roles: ["admin"] });
    const adjustments = await stopWhileBusy(
      system,
      "inventory",
      Array.from({ length: ADJUSTMENTS }, () => ({
        method: "POST",
        path: `/products/${sku}/adjustments`,
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ delta: 1, reason: "delivery during shutdown" }),
      })),
    );
    expect(adjustments.exitCode).toBe(0);
    expect(adjustments.stopMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(adjustments.outcomes.every((o) => o.sentAt <= adjustments.signalledAt)).toBe(true);
    expect(adjustments.outcomes.map((o) => o.error?.message ?? o.response?.status)).toEqual(
      Array.from({ length: ADJUSTMENTS }, () => 200),
    );

    // 3. Back up: every order placed exists and reaches a final state; no unit appeared or vanished.
    await Promise.all([system.startService("order"), system.startService("inventory")]);
    const finals = await Promise.all(
      placed.map((orderId, i) => {
        const buyer = buyers[i] as { customerId: string };
        return system.client(buyer.customerId).orderReaching(orderId, FINAL, 90_000);
      }),
    );
    const committed = finals
      .filter((o) => o.status === "CONFIRMED" || o.status === "ADJUSTED")
      .reduce((sum, o) => sum + (o.items[0]?.confirmedQuantity ?? 0), 0);
    const product = await eventually(
      `${sku} settled (nothing reserved)`,
      async () => {
        const p = await admin.product(sku);
        return p.reserved === 0 ? p : undefined;
      },
      60_000,
    );
    expect(product.onHand + committed).toBe(STOCK + ADJUSTMENTS);
    // 30 units, then 40 more during the shutdown, for 50 single-unit orders: never oversold.
    expect(committed).toBeLessThanOrEqual(ORDERS);
    expect(product.onHand).toBeGreaterThanOrEqual(0);
  });
});
