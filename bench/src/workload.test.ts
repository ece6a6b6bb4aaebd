import { describe, expect, it } from "vitest";
import { Catalogue, DEFAULT_WORKLOAD, randomSource, zipfWeights } from "./workload.js";

describe("the catalogue", () => {
  const catalogue = new Catalogue("T", DEFAULT_WORKLOAD);

  it("weighs SKUs by a Zipf law", () => {
    const weights = zipfWeights(200, 1);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect((weights[0] ?? 0) / (weights[1] ?? 1)).toBeCloseTo(2);
    expect(catalogue.skus[0]).toBe("T-0001");
    expect(catalogue.skus).toHaveLength(200);
  });

  it("draws orders of 1 to 5 distinct lines, 1 to 3 units each, hot SKUs most often", () => {
    const random = randomSource(1);
    const hits = new Map<string, number>();
    const lineCounts = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      const order = catalogue.order(random);
      lineCounts.add(order.items.length);
      expect(new Set(order.items.map((item) => item.sku)).size).toBe(order.items.length);
      for (const item of order.items) {
        expect(item.quantity).toBeGreaterThanOrEqual(1);
        expect(item.quantity).toBeLessThanOrEqual(3);
        hits.set(item.sku, (hits.get(item.sku) ?? 0) + 1);
      }
    }
    expect([...lineCounts].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(hits.get("T-0001") ?? 0).toBeGreaterThan(5 * (hits.get("T-0010") ?? 0) * 0.5);
    expect(hits.get("T-0001") ?? 0).toBeGreaterThan(hits.get("T-0100") ?? 0);
  });

  it("is reproducible from its seed", () => {
    expect(catalogue.order(randomSource(7))).toEqual(catalogue.order(randomSource(7)));
  });

  it("stocks each SKU for its expected demand with a margin", () => {
    const stock = catalogue.stockFor(1_000, 1.2);
    // 1,000 orders × 3 lines × 2 units × weight × 1.2, plus 10.
    expect(stock[0]).toBe(Math.ceil(1_000 * 6 * (zipfWeights(200, 1)[0] ?? 0) * 1.2) + 10);
    expect(stock[0]).toBeGreaterThan(stock[199] ?? 0);
  });

  it("never stocks a SKU beyond what the inventory accepts for one product", () => {
    const stock = catalogue.stockFor(1_300_000, 1.2, 1_000_000);
    expect(stock[0]).toBe(1_000_000);
    expect(stock[199]).toBe(catalogue.stockFor(1_300_000, 1.2)[199]);
    expect(stock[199]).toBeLessThan(1_000_000);
  });
});
