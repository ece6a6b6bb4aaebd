import { describe, expect, it } from "vitest";
import type { Attempt } from "./load.js";
import { overloadBase, overloadFigures } from "./overload.js";
import { isRefusal, refusalsOf } from "./refusals.js";

const attempt = (status: number | undefined, ms: number, extra: Partial<Attempt> = {}): Attempt => ({
  scheduledAt: 1_000,
  sentAt: 1_001,
  answeredAt: 1_000 + ms,
  ...(status === undefined ? { error: "socket hang up" } : { httpStatus: status }),
  ...extra,
});

describe("refused POSTs", () => {
  it("are 503 and 429 answers, apart from accepted orders and failures", () => {
    expect([202, 503, 429, 500, undefined].map((s) => isRefusal(attempt(s, 1)))).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it("are counted by status, with how fast they came back and whether they said when to retry", () => {
    const problem = { contentType: "application/problem+json; charset=utf-8", retryAfter: "1" };
    const refusals = refusalsOf([
      attempt(202, 30),
      attempt(503, 2, problem),
      attempt(503, 4, problem),
      attempt(503, 40, { contentType: "text/plain" }),
      attempt(429, 6, { retryAfter: "" }),
      attempt(500, 1),
      attempt(undefined, 60_000),
    ]);
    expect(refusals).toEqual({
      count: 4,
      byStatus: { "503": 3, "429": 1 },
      latencyMs: { count: 4, p50: 4, p95: 40, p99: 40, max: 40 },
      withRetryAfter: 2,
      problemJson: 2,
    });
    expect(refusalsOf([]).count).toBe(0);
  });
});

describe("the overload step", () => {
  const steps = (held: Record<number, boolean>) =>
    Object.entries(held).map(([rate, sustained]) => ({ offeredPerSec: Number(rate), sustained }));

  it("doubles the search's maximum, or else the highest fixed rate that held below the first failure", () => {
    expect(overloadBase(650, steps({ 100: true, 200: true, 500: true, 1000: false }))).toBe(650);
    expect(overloadBase(0, steps({ 100: false }))).toBeUndefined();
    expect(overloadBase(null, steps({ 100: true, 200: true, 500: false, 1000: true }))).toBe(200);
    expect(overloadBase(null, steps({ 100: true, 200: true }))).toBe(200);
    expect(overloadBase(null, steps({ 100: false }))).toBeUndefined();
  });

  it("reports achieved throughput as a share of the maximum and the timeouts among accepted orders", () => {
    expect(
      overloadFigures({ achievedPerSec: 930, outcomes: { CONFIRMED: 27_000, REJECTED_TIMEOUT: 3 } }, 1_000),
    ).toEqual({
      maxSustainedPerSec: 1_000,
      achievedShareOfMax: 0.93,
      decisionTimeouts: 3,
    });
    expect(overloadFigures({ achievedPerSec: 500, outcomes: {} }, 1_000).decisionTimeouts).toBe(0);
  });
});
