import { round } from "./stats.js";

/** What an overload step reports besides any step's figures. */
export interface OverloadFigures {
  /** The sustained maximum the offered rate doubles. */
  maxSustainedPerSec: number;
  /** Achieved throughput over that maximum: ≥ 0.9 is graceful. */
  achievedShareOfMax: number;
  /** Accepted orders the saga rejected on its decision deadline: 0 when admission control keeps latency bounded. */
  decisionTimeouts: number;
}

/**
 * The rate the overload step doubles: the search's maximum, or without a search the highest fixed
 * rate that held below the first that did not; undefined when nothing held.
 */
export function overloadBase(
  maxSustained: number | null,
  fixed: readonly { offeredPerSec: number; sustained: boolean }[],
): number | undefined {
  if (maxSustained !== null) return maxSustained > 0 ? maxSustained : undefined;
  const sorted = [...fixed].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  const firstFailure = sorted.findIndex((s) => !s.sustained);
  return (firstFailure < 0 ? sorted : sorted.slice(0, firstFailure)).at(-1)?.offeredPerSec;
}

export function overloadFigures(
  step: { achievedPerSec: number; outcomes: Record<string, number> },
  maxSustainedPerSec: number,
): OverloadFigures {
  return {
    maxSustainedPerSec,
    achievedShareOfMax: round(step.achievedPerSec / maxSustainedPerSec, 3),
    decisionTimeouts: step.outcomes.REJECTED_TIMEOUT ?? 0,
  };
}
