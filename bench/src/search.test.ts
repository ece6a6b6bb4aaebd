import { describe, expect, it } from "vitest";
import { bracketFrom, narrowed, nextProbe, roundRate } from "./search.js";

const steps = (held: Record<number, boolean>) =>
  Object.entries(held).map(([rate, sustained]) => ({ offeredPerSec: Number(rate), sustained }));

describe("the rate search", () => {
  it("brackets between the highest rate that held and the first that did not", () => {
    expect(bracketFrom(steps({ 50: true, 200: true, 500: false, 1000: false }))).toEqual({
      lo: 0,
      hi: 500,
      confirmFirst: 200,
    });
    expect(bracketFrom(steps({ 50: false, 200: false }))).toEqual({ lo: 0, hi: 50 });
    expect(bracketFrom(steps({ 50: true, 200: true }))).toEqual({ lo: 0, hi: 400, confirmFirst: 200 });
  });

  it("ignores a rate that held above one that did not (noise)", () => {
    expect(bracketFrom(steps({ 50: true, 200: false, 500: true }))).toEqual({
      lo: 0,
      hi: 200,
      confirmFirst: 50,
    });
  });

  it("confirms first over the longer window, then bisects on round rates", () => {
    let bracket = bracketFrom(steps({ 50: true, 200: true, 500: false }));
    expect(nextProbe(bracket, 0)).toBe(200);
    bracket = narrowed(bracket, 200, true);
    expect(nextProbe(bracket, 1)).toBe(350);
    bracket = narrowed(bracket, 350, false);
    expect(nextProbe(bracket, 2)).toBe(280);
    bracket = narrowed(bracket, 280, true);
    expect(nextProbe(bracket, 3)).toBe(320);
    bracket = narrowed(bracket, 320, true);
    expect(nextProbe(bracket, 4)).toBeUndefined();
    expect(bracket.lo).toBe(320);
  });

  it("falls back below a confirmation that failed", () => {
    const bracket = narrowed(bracketFrom(steps({ 50: true, 200: false })), 50, false);
    expect(bracket).toEqual({ lo: 0, hi: 50 });
    expect(nextProbe(bracket, 1)).toBe(25);
  });

  it("rounds rates", () => {
    expect(roundRate(27)).toBe(25);
    expect(roundRate(347)).toBe(350);
    expect(roundRate(1_420)).toBe(1_400);
    expect(roundRate(1)).toBe(5);
  });
});
