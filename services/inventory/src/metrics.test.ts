import { Registry } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import {
  orderRequestRecorded,
  outOfStock,
  productCreated,
  reservationExpired,
  stockCommitted,
  stockRejected,
  stockReleased,
  stockReserved,
} from "./domain/testing.js";
import { inventoryMetrics } from "./metrics.js";

async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",");
  const line = (await registry.metrics())
    .split("\n")
    .find((l) => l.startsWith(wanted ? `${name}{${wanted}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("inventory metrics", () => {
  it("counts each line's answer, telling a short reservation from a full one", async () => {
    const registry = new Registry();
    const observe = inventoryMetrics(registry);
    observe([
      orderRequestRecorded(3),
      stockReserved("SKU-A", 2, 2, 10),
      stockReserved("SKU-B", 5, 3, 3),
      outOfStock("SKU-B", 3, 3),
      stockRejected("SKU-C", 1, "UNKNOWN_PRODUCT", 0),
    ]);
    observe([stockRejected("SKU-D", 4, "INSUFFICIENT_STOCK", 1)]);

    const answers = (labels: Record<string, string>) =>
      sample(registry, "stocksaga_stock_line_answers_total", labels);
    expect(await answers({ outcome: "RESERVED" })).toBe(1);
    expect(await answers({ outcome: "PARTIAL" })).toBe(1);
    expect(await answers({ outcome: "REJECTED", reason: "UNKNOWN_PRODUCT" })).toBe(1);
    expect(await answers({ outcome: "REJECTED", reason: "INSUFFICIENT_STOCK" })).toBe(1);
  });

  it("sums the units each movement of the saga moved", async () => {
    const registry = new Registry();
    const observe = inventoryMetrics(registry);
    observe([productCreated("SKU-A", 10), stockReserved("SKU-A", 2, 2, 10), stockReserved("SKU-B", 5, 3, 3)]);
    observe([
      stockCommitted([
        ["SKU-A", 2],
        ["SKU-B", 0],
      ]),
    ]);
    observe([stockReleased("ORDER_CANCELLED", [["SKU-A", 2, true]])]);
    observe([reservationExpired("SKU-B", 3)]);

    const units = (movement: string) => sample(registry, "stocksaga_stock_units_total", { movement });
    expect(await units("reserved")).toBe(5);
    expect(await units("committed")).toBe(2);
    expect(await units("released")).toBe(2);
    expect(await units("expired")).toBe(3);
  });
});
