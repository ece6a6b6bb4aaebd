import { describe, expect, it } from "vitest";
import { evaluateGoals, type GoalInput } from "./goals.js";

type Step = GoalInput["rates"][number];

const latency = (p50: number, p99: number) => ({ count: 1_000, p50, p95: p99, p99, max: p99 });

function step(offeredPerSec: number, overrides: Partial<Step> = {}): Step {
  return {
    offeredPerSec,
    sustained: true,
    achievedPerSec: offeredPerSec,
    sagaLatencyMs: latency(30, 100),
    ratioP50ToFloor: 2,
    cpuMsPerOrder: {
      orders: 1_000,
      total: 1.5,
      byGroup: {
        order: 0.5,
        inventory: 0.4,
        postgres: 0.3,
        kafka: 0.2,
        registry: 0,
        harness: 0.1,
        kernelAndOther: 0,
        steal: 0,
      },
    },
    rssMb: { order: 180, inventory: 160 },
    ordersSent: offeredPerSec * 30,
    refusedPosts: {
      count: 0,
      byStatus: {},
      latencyMs: latency(Number.NaN, Number.NaN),
      withRetryAfter: 0,
      problemJson: 0,
    },
    failedPosts: {},
    cutShort: false,
    unfinished: 0,
    ...overrides,
  };
}

const overloadStep = (overrides: Partial<Step> = {}) =>
  step(2_200, {
    sustained: false,
    achievedPerSec: 1_045,
    sagaLatencyMs: latency(60, 400),
    ordersSent: 66_000,
    refusedPosts: {
      count: 33_000,
      byStatus: { "503": 33_000 },
      latencyMs: latency(3, 40),
      withRetryAfter: 33_000,
      problemJson: 33_000,
    },
    overload: { maxSustainedPerSec: 1_100, achievedShareOfMax: 0.95, decisionTimeouts: 0 },
    ...overrides,
  });

function run(overrides: Partial<GoalInput> = {}): GoalInput {
  return {
    floor: { criticalPathMs: { p50: 16 } },
    rates: [
      step(100),
      step(200, { sagaLatencyMs: latency(30, 90) }),
      step(500, { sagaLatencyMs: latency(45, 200) }),
    ],
    search: {
      windowS: 60,
      probes: [step(1_100), step(1_300, { sustained: false, rssMb: { order: 400, inventory: 300 } })],
    },
    maxSustainedOrdersPerSec: 1_100,
    overload: overloadStep(),
    oversoldUnits: 0,
    ...overrides,
  };
}

const verdicts = (input: GoalInput) => evaluateGoals(input).map((g) => [g.target, g.met, g.measured]);

describe("issue 11's goals", () => {
  it("are all met by a run that meets them, each with its figure", () => {
    expect(verdicts(run())).toEqual([
      ["≥ 1,000/s, 0 oversold", true, "1100/s over 60 s, 0 oversold"],
      ["≤ 2 ms", true, "1.5 ms"],
      ["≤ 2×", true, "1.88× (30 ms)"],
      ["≤ 3×", true, "2.81× (45 ms)"],
      ["≤ 6×", true, "5.63× (90 ms)"],
      [
        expect.stringContaining("≥ 90 %"),
        true,
        '2200/s offered: achieved 1045/s = 95 % of 1100/s; 0 decision timeouts, accepted p99 400 ms; refused 33000 ({"503":33000}, 33000 with Retry-After, 33000 problem+json) in p50 3 p99 40 ms; failed 0',
      ],
      ["< 250 MB", true, "order 180 MB, inventory 160 MB at 1100/s"],
    ]);
  });

  it("are not met when a figure misses its target", () => {
    const goals = evaluateGoals(
      run({
        maxSustainedOrdersPerSec: 900,
        search: { windowS: 60, probes: [step(900, { rssMb: { order: 251, inventory: 100 } })] },
        rates: [
          step(200, { sagaLatencyMs: latency(33, 97) }),
          step(500, {
            sagaLatencyMs: latency(49, 90),
            cpuMsPerOrder: { ...step(1).cpuMsPerOrder, total: 2.01 },
          }),
        ],
      }),
    );
    expect(goals.map((g) => g.met)).toEqual([false, false, false, false, false, true, false]);
    expect(evaluateGoals(run({ oversoldUnits: 1 }))[0]?.met).toBe(false);
  });

  it("are not met, and say why, when the run lacks the figure", () => {
    const goals = evaluateGoals(
      run({ rates: [], maxSustainedOrdersPerSec: null, overload: null, search: { windowS: 60, probes: [] } }),
    );
    expect(goals.map((g) => [g.met, g.measured])).toEqual([
      [false, "search not run"],
      [false, "no 500/s step"],
      [false, "no 200/s step"],
      [false, "no 500/s step"],
      [false, "no 200/s step"],
      [false, "overload step not run"],
      [false, "no sustained maximum"],
    ]);
  });

  it("call an overload graceful only when the excess is refused fast, as 503 problem+json with Retry-After", () => {
    const graceful = (overrides: Partial<Step>) =>
      evaluateGoals(run({ overload: overloadStep(overrides) }))[5];
    const refused = overloadStep().refusedPosts;
    expect(
      graceful({ overload: { maxSustainedPerSec: 1_100, achievedShareOfMax: 0.89, decisionTimeouts: 0 } })
        ?.measured,
    ).toContain("under 90 %");
    expect(
      graceful({ overload: { maxSustainedPerSec: 1_100, achievedShareOfMax: 0.95, decisionTimeouts: 2 } })
        ?.measured,
    ).toContain("decision timeouts");
    expect(graceful({ refusedPosts: { ...refused, latencyMs: latency(20, 101) } })?.measured).toContain(
      "refusals slow",
    );
    expect(graceful({ refusedPosts: { ...refused, withRetryAfter: 32_999 } })?.met).toBe(false);
    expect(graceful({ refusedPosts: { ...refused, byStatus: { "503": 32_000, "429": 1_000 } } })?.met).toBe(
      false,
    );
    expect(graceful({ cutShort: true })?.measured).toContain("cut short: the excess queued");
    expect(graceful({ failedPosts: { "HTTP 500": 700 } })?.measured).toContain("700 POSTs failed");
    expect(graceful({ failedPosts: { "HTTP 500": 600 } })?.met).toBe(true);
    expect(graceful({ unfinished: 5 })?.met).toBe(false);
  });
});
