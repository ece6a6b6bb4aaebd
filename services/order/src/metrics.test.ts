import { Registry } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import type { OrderChange } from "./application/orders.js";
import {
  decide,
  evolve,
  initialState,
  type Order,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
} from "./domain/index.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  cancelOrder,
  lineReserved,
  ORDER_ID,
  orderPlaced,
  placeOrder,
  stockRejected,
  stockReserved,
  TIMEOUT_MS,
} from "./domain/testing.js";
import { sagaMetrics } from "./metrics.js";

/** The change a command makes to the order that `history` built, as the application reports it. */
function change(history: readonly OrderEvent[], command: OrderCommand): OrderChange {
  const before: OrderState = history.reduce(evolve, initialState());
  const events = decide(command, before);
  return { before, after: events.reduce(evolve, before) as Order, events };
}

async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",");
  const line = (await registry.metrics())
    .split("\n")
    .find((l) => l.startsWith(wanted ? `${name}{${wanted}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("saga metrics", () => {
  it("counts a confirmation and times the saga from placement to the decision", async () => {
    const registry = new Registry();
    const observe = sagaMetrics(registry);
    observe(change([], placeOrder()));
    observe(change([orderPlaced()], stockReserved("SKU-A", 2, 2, { now: at(400) })));
    observe(
      change(
        [orderPlaced(), lineReserved("SKU-A", 2, at(400))],
        stockReserved("SKU-B", 5, 5, { now: at(1_500) }),
      ),
    );

    expect(await sample(registry, "stocksaga_saga_decisions_total", { outcome: "CONFIRMED" })).toBe(1);
    expect(await sample(registry, "stocksaga_saga_duration_seconds_count", { outcome: "CONFIRMED" })).toBe(1);
    expect(await sample(registry, "stocksaga_saga_duration_seconds_sum", { outcome: "CONFIRMED" })).toBe(1.5);
  });

  it("counts rejections by reason", async () => {
    const registry = new Registry();
    const observe = sagaMetrics(registry);
    observe(
      change([orderPlaced()], { type: "RejectForTimeout", orderId: ORDER_ID, now: at(TIMEOUT_MS + 1) }),
    );
    observe(
      change(
        [orderPlaced(undefined, "ALL_OR_NOTHING"), lineReserved("SKU-A", 2)],
        stockRejected("SKU-B", 5, 1, { now: at(2) }),
      ),
    );

    expect(
      await sample(registry, "stocksaga_saga_decisions_total", { outcome: "REJECTED", reason: "TIMEOUT" }),
    ).toBe(1);
    expect(
      await sample(registry, "stocksaga_saga_decisions_total", {
        outcome: "REJECTED",
        reason: "SHORTFALL_NOT_ALLOWED",
      }),
    ).toBe(1);
    expect(await sample(registry, "stocksaga_saga_duration_seconds_count", { outcome: "REJECTED" })).toBe(2);
    expect(
      await sample(registry, "stocksaga_saga_duration_seconds_sum", { outcome: "REJECTED" }),
    ).toBeCloseTo((TIMEOUT_MS + 1 + 2) / 1000, 6);
  });

  it("counts a later cancellation as a decision, but times each saga once, to its first final status", async () => {
    const registry = new Registry();
    const observe = sagaMetrics(registry);
    observe(change(CONFIRMED_HISTORY, cancelOrder(at(60_000))));
    observe(change(ADJUSTED_HISTORY, cancelOrder(at(60_000))));
    observe(change([orderPlaced()], cancelOrder(at(250))));

    expect(await sample(registry, "stocksaga_saga_decisions_total", { outcome: "CANCELLED" })).toBe(3);
    expect(await sample(registry, "stocksaga_saga_duration_seconds_count", { outcome: "CANCELLED" })).toBe(1);
    expect(await sample(registry, "stocksaga_saga_duration_seconds_sum", { outcome: "CANCELLED" })).toBe(
      0.25,
    );
  });
});
