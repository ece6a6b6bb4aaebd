import { describe, expect, it } from "vitest";
import { CommitClock, changedOrderIds } from "./observe.js";

const a = "6f1c2a52-3c1e-4d0b-9a59-0d3f7f7f0a01";
const b = "6f1c2a52-3c1e-4d0b-9a59-0d3f7f7f0a02";
const c = "6f1c2a52-3c1e-4d0b-9a59-0d3f7f7f0a03";

describe("the commit clock", () => {
  it("reads one order id, or several joined by commas, and no particular order from '*'", () => {
    expect(changedOrderIds(a)).toEqual([a]);
    expect(changedOrderIds(`${a},${b},${c}`)).toEqual([a, b, c]);
    expect(changedOrderIds(`${a}, ${b},`)).toEqual([a, b]);
    expect(changedOrderIds("*")).toEqual([]);
    expect(changedOrderIds("")).toEqual([]);
    expect(changedOrderIds(undefined)).toEqual([]);
  });

  it("stamps every order of a notification with its arrival, the latest notification winning", () => {
    let now = 1_000;
    const clock = new CommitClock("postgresql://unused", () => now);
    clock.noteChange(`${a},${b}`);
    now = 1_040;
    clock.noteChange(b);
    clock.noteChange("*");
    expect([clock.changedAt(a), clock.changedAt(b), clock.changedAt(c)]).toEqual([1_000, 1_040, undefined]);
    clock.forget([a]);
    expect(clock.changedAt(a)).toBeUndefined();
  });
});
