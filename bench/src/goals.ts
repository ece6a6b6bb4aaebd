import { round } from "./stats.js";
import type { StepResult } from "./step.js";

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

/**
 * How fast a refusal must come back to count as "refused fast" (p99, from the scheduled send):
 * the harness's reading of issue 11, well under one saga's critical path at these rates.
 */
export const FAST_REFUSAL_P99_MS = 100;

type GoalStep = Pick<
  StepResult,
  | "offeredPerSec"
  | "sustained"
  | "achievedPerSec"
  | "sagaLatencyMs"
  | "ratioP50ToFloor"
  | "cpuMsPerOrder"
  | "rssMb"
  | "ordersSent"
  | "refusedPosts"
  | "failedPosts"
  | "cutShort"
  | "unfinished"
  | "overload"
>;

export interface GoalInput {
  floor: { criticalPathMs: { p50: number } };
  rates: readonly GoalStep[];
  search: { windowS: number; probes: readonly GoalStep[] };
  maxSustainedOrdersPerSec: number | null;
  overload: GoalStep | null;
  oversoldUnits: number;
}

function graceful(step: GoalStep | null): Goal {
  const goal = "graceful past capacity (offered 2× the sustained maximum)";
  const target = `≥ 90 % of the maximum achieved, 0 decision timeouts among accepted, excess refused with 503 + Retry-After + problem+json in p99 ≤ ${FAST_REFUSAL_P99_MS} ms`;
  if (!step?.overload) return { goal, target, measured: "overload step not run", met: false };
  const { achievedShareOfMax, decisionTimeouts, maxSustainedPerSec } = step.overload;
  const refused = step.refusedPosts;
  const failed = Object.values(step.failedPosts).reduce((a, b) => a + b, 0);
  const refusedRight = refused.byStatus["503"] ?? 0;
  const problems = [
    achievedShareOfMax < 0.9 ? "under 90 %" : "",
    decisionTimeouts > 0 ? "decision timeouts" : "",
    step.unfinished > 0 ? `${step.unfinished} unfinished` : "",
    step.cutShort ? "cut short: the excess queued" : "",
    failed > 0.01 * step.ordersSent ? `${failed} POSTs failed` : "",
    refused.count > 0 &&
    (refusedRight < refused.count ||
      refused.withRetryAfter < refused.count ||
      refused.problemJson < refused.count)
      ? "refusals not all 503 + Retry-After + problem+json"
      : "",
    refused.count > 0 && !(refused.latencyMs.p99 <= FAST_REFUSAL_P99_MS) ? "refusals slow" : "",
  ].filter((p) => p !== "");
  return {
    goal,
    target,
    measured:
      `${step.offeredPerSec}/s offered: achieved ${step.achievedPerSec}/s = ${round(achievedShareOfMax * 100, 1)} % of ${maxSustainedPerSec}/s; ` +
      `${decisionTimeouts} decision timeouts, accepted p99 ${step.sagaLatencyMs.p99} ms; ` +
      `refused ${refused.count} (${JSON.stringify(refused.byStatus)}, ${refused.withRetryAfter} with Retry-After, ${refused.problemJson} problem+json) in p50 ${refused.latencyMs.p50} p99 ${refused.latencyMs.p99} ms; failed ${failed}` +
      (problems.length > 0 ? ` — ${problems.join(", ")}` : ""),
    met: problems.length === 0,
  };
}

/** The goals of issue 11, judged on a run's figures; a figure the run lacks is not met. */
export function evaluateGoals(result: GoalInput): Goal[] {
  const at = (rate: number) => result.rates.find((s) => s.offeredPerSec === rate);
  const floor = result.floor.criticalPathMs.p50;
  const ratio = (rate: number, target: number, percentile: "p50" | "p99"): Goal => {
    const step = at(rate);
    const value =
      step && floor > 0 && Number.isFinite(step.sagaLatencyMs[percentile])
        ? round(step.sagaLatencyMs[percentile] / floor, 2)
        : undefined;
    return {
      goal: `saga ${percentile} at ${rate} orders/s within ${target}× the critical-path floor (p50 ${floor} ms)`,
      target: `≤ ${target}×`,
      measured:
        value === undefined || !step
          ? `no ${rate}/s step`
          : `${value}× (${step.sagaLatencyMs[percentile]} ms)`,
      met: value !== undefined && value <= target,
    };
  };
  const at500 = at(500);
  const cpu500 = at500?.cpuMsPerOrder.total ?? null;
  const max = result.maxSustainedOrdersPerSec;
  const atMax =
    max === null || max <= 0
      ? undefined
      : result.search.probes.find((p) => p.offeredPerSec === max && p.sustained);
  return [
    {
      goal: "orders/s sustained for the search window with zero oversold",
      target: "≥ 1,000/s, 0 oversold",
      measured:
        max === null
          ? "search not run"
          : `${max}/s over ${result.search.windowS} s, ${result.oversoldUnits} oversold`,
      met: max !== null && max >= 1_000 && result.oversoldUnits === 0,
    },
    {
      goal: "machine CPU per order at 500 orders/s (every process, from /proc)",
      target: "≤ 2 ms",
      measured: at500 ? `${cpu500 ?? "n/a"} ms` : "no 500/s step",
      met: cpu500 !== null && cpu500 <= 2,
    },
    ratio(200, 2, "p50"),
    ratio(500, 3, "p50"),
    ratio(200, 6, "p99"),
    graceful(result.overload),
    {
      goal: "RSS of each service at the sustained maximum",
      target: "< 250 MB",
      measured: atMax
        ? `order ${atMax.rssMb.order} MB, inventory ${atMax.rssMb.inventory} MB at ${max}/s`
        : "no sustained maximum",
      met: atMax !== undefined && atMax.rssMb.order < 250 && atMax.rssMb.inventory < 250,
    },
  ];
}
