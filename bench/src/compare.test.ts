import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareRuns, describeComparison } from "./compare.js";

/** The latest.json committed before the CPU budget existed (schema 1: busy % only). */
const schemaOne: unknown = JSON.parse(
  readFileSync(new URL("./fixtures/latest-schema1.json", import.meta.url), "utf8"),
);

const step = (rate: number, p50: number, cpuMs: number) => ({
  kind: "fixed",
  offeredPerSec: rate,
  sagaLatencyMs: { p50 },
  cpuMsPerOrder: { total: cpuMs },
});

const current = {
  runId: "rnew",
  maxSustainedOrdersPerSec: 1_050,
  floor: { criticalPathMs: { p50: 20 } },
  rates: [
    step(100, 30, 3),
    step(200, 36, 2.5),
    step(500, 58, 1.9),
    step(1_000, 90, 1.6),
    step(2_000, 5_000, 1.4),
  ],
  rssMb: { order: 180, inventory: 150.5 },
};

describe("the comparison with the previous run", () => {
  it("reads a schema-1 latest.json: CPU per order derived from busy %, ratios from p50 and floor", () => {
    const comparison = compareRuns(schemaOne, current, "results/latest.json");
    expect(comparison).toMatchObject({
      runId: "rmwvu4r66",
      commit: "b06674e",
      date: "2026-11-25T08:01:46.638Z",
    });
    expect(comparison.figures).toEqual([
      { figure: "max sustained orders/s", before: 45, after: 1_050, changePct: 2_233.3 },
      // 96.9 % of 2 cores over 129.4 orders/s.
      { figure: "CPU ms/order at 200/s", before: 14.98, after: 2.5, changePct: -83.3, derivedBefore: true },
      { figure: "CPU ms/order at 500/s", before: 13, after: 1.9, changePct: -85.4, derivedBefore: true },
      { figure: "CPU ms/order at 1000/s", before: 21.8, after: 1.6, changePct: -92.7, derivedBefore: true },
      { figure: "p50 / floor at 200/s", before: 499.81, after: 1.8, changePct: -99.6 },
      { figure: "p50 / floor at 500/s", before: 1_300.84, after: 2.9, changePct: -99.8 },
      { figure: "RSS order MB", before: 425.2, after: 180, changePct: -57.7 },
      { figure: "RSS inventory MB", before: 281.1, after: 150.5, changePct: -46.5 },
    ]);
  });

  it("compares measured figures as they are, and says n/a for what either run lacks", () => {
    const previous = {
      ...current,
      maxSustainedOrdersPerSec: null,
      rates: [step(200, 40, 2)],
      rssMb: undefined,
    };
    const comparison = compareRuns(previous, current, "latest.json");
    expect(comparison.figures.find((f) => f.figure === "CPU ms/order at 200/s")).toEqual({
      figure: "CPU ms/order at 200/s",
      before: 2,
      after: 2.5,
      changePct: 25,
    });
    expect(comparison.figures.filter((f) => f.figure.startsWith("CPU"))).toHaveLength(1);
    expect(describeComparison(comparison)).toEqual([
      "compared with latest.json (run rnew, commit ?, ?):",
      "  max sustained orders/s: n/a → 1050",
      "  CPU ms/order at 200/s: 2 → 2.5 (+25 %)",
      "  p50 / floor at 200/s: 2 → 1.8 (-10 %)",
      "  p50 / floor at 500/s: n/a → 2.9",
      "  RSS order MB: n/a → 180",
      "  RSS inventory MB: n/a → 150.5",
    ]);
  });

  it("takes anything that is not a run as a run without figures", () => {
    const comparison = compareRuns("not json", current, "x");
    expect(comparison.runId).toBeNull();
    expect(comparison.figures.every((f) => f.before === null && f.changePct === null)).toBe(true);
  });
});
