import { describe, expect, it } from "vitest";
import { percentile, slope, summarize } from "./stats.js";

describe("percentiles", () => {
  it("uses the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it("summarizes unsorted values, and reports nothing as NaN", () => {
    expect(summarize([5, 1, 3])).toEqual({ count: 3, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(summarize([]).p50).toBeNaN();
  });
});

describe("slope", () => {
  it("is the least-squares growth per unit", () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 10 + 2 * x })))).toBeCloseTo(2);
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: x % 2 === 0 ? 5 : 6 })))).toBeCloseTo(0.2);
    expect(slope([{ x: 1, y: 1 }])).toBe(0);
  });
});
