import { describe, expect, it } from "vitest";
import { parseOptions, worstCaseSeconds } from "./options.js";

describe("the run's plan", () => {
  it("steps through 100 to 2,000 orders/s, searches, then overloads at twice the maximum", () => {
    const full = parseOptions([]);
    expect(full.rates).toEqual([100, 200, 500, 1_000, 2_000]);
    expect(full).toMatchObject({ search: true, overload: true, overloadFactor: 2, overloadSeconds: 30 });
    expect(full.writeLatest).toBe(true);
    expect(parseOptions(["--quick"])).toMatchObject({ stepSeconds: 10, overloadSeconds: 10, maxProbes: 2 });
    expect(parseOptions(["--no-overload", "--rates", "100,200"])).toMatchObject({
      overload: false,
      rates: [100, 200],
      writeLatest: false,
    });
  });

  it("bounds the run with every step at its full window and drain cap, the overload step included", () => {
    const full = parseOptions([]);
    // start-up 180 + floor 60 + warm-up 10 + 180 + 5 × (30 + 180) + 4 × (60 + 180) + (30 + 180)
    expect(worstCaseSeconds(full)).toBe(2_650);
    expect(worstCaseSeconds({ ...full, overload: false })).toBe(2_650 - 210);
  });
});
