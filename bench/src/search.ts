/** Rates the search tries are round numbers: nearest 5 below 100/s, 10 below 1,000/s, 50 above. */
export function roundRate(rate: number): number {
  const step = rate < 100 ? 5 : rate < 1_000 ? 10 : 50;
  return Math.max(step, Math.round(rate / step) * step);
}

export interface Bracket {
  /** Highest rate known sustainable over the search window (0: none yet). */
  lo: number;
  /** Lowest rate known not sustainable. */
  hi: number;
  /** A rate that held over the shorter fixed steps, to confirm first over the longer window. */
  confirmFirst?: number;
}

/**
 * The search starts from the fixed steps: the highest rate that held below the first that did
 * not, and that first failure as the upper bound (twice the highest rate when all held).
 */
export function bracketFrom(fixed: readonly { offeredPerSec: number; sustained: boolean }[]): Bracket {
  const sorted = [...fixed].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  const firstFailure = sorted.find((s) => !s.sustained);
  const held = sorted.filter(
    (s) => s.sustained && (!firstFailure || s.offeredPerSec < firstFailure.offeredPerSec),
  );
  const best = held.at(-1)?.offeredPerSec;
  const hi = firstFailure?.offeredPerSec ?? Math.max(100, 2 * (sorted.at(-1)?.offeredPerSec ?? 50));
  return { lo: 0, hi, ...(best !== undefined ? { confirmFirst: best } : {}) };
}

/** The next rate to probe, or undefined once the bracket is narrower than `resolution` of hi. */
export function nextProbe(bracket: Bracket, probesRun: number, resolution = 0.15): number | undefined {
  if (probesRun === 0 && bracket.confirmFirst !== undefined) return bracket.confirmFirst;
  if ((bracket.hi - bracket.lo) / bracket.hi <= resolution) return undefined;
  const rate = roundRate((bracket.lo + bracket.hi) / 2);
  return rate > bracket.lo && rate < bracket.hi ? rate : undefined;
}

export function narrowed(bracket: Bracket, rate: number, sustained: boolean): Bracket {
  return sustained ? { lo: rate, hi: bracket.hi } : { lo: bracket.lo, hi: rate };
}
