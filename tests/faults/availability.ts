import type { FaultRecord } from "./faults.js";
import { query } from "./verify.js";

/** After a fault ends, how long a stall that began or lasted into it is still laid at its door. */
export const STALL_WINDOW_MS = 15_000;

export interface StallFigures {
  faults: number;
  /** The longest time without progress overlapping one of this kind's windows. */
  longestStallMs: number;
}

export interface AvailabilityFigures {
  /** Orders the sweeper rejected because no decision came in time, and their share of accepted orders. */
  timedOut: number;
  timedOutShare: number;
  /** The longest time without progress over the whole load, whatever caused it. */
  longestStallMs: number;
  byFault: Record<string, StallFigures>;
}

/** Gaps between consecutive moments of progress, as [start, end] pairs, longest first not implied. */
export function gapsBetween(progress: readonly number[], from: number, until: number): [number, number][] {
  const moments = [from, ...progress.filter((at) => at > from && at < until).sort((a, b) => a - b), until];
  const gaps: [number, number][] = [];
  for (let index = 1; index < moments.length; index++) {
    const start = moments[index - 1] as number;
    const end = moments[index] as number;
    if (end > start) gaps.push([start, end]);
  }
  return gaps;
}

/**
 * Longest stall per fault kind: the longest gap between moments of progress that overlaps the
 * fault, from its injection to `STALL_WINDOW_MS` after it ended (a broker restart ends when the
 * broker answers again; a SIGKILL at once, while what it does lasts a session timeout).
 */
export function stallsByFault(
  progress: readonly number[],
  faults: readonly FaultRecord[],
  load: { from: number; until: number },
  keyOf: (fault: FaultRecord) => string = (fault) => fault.kind,
): { longestStallMs: number; byFault: Record<string, StallFigures> } {
  const gaps = gapsBetween(progress, load.from, load.until);
  const longestStallMs = Math.max(0, ...gaps.map(([start, end]) => end - start));
  const byFault: Record<string, StallFigures> = {};
  for (const fault of faults) {
    const key = keyOf(fault);
    const windowEnd = fault.at + fault.durationMs + STALL_WINDOW_MS;
    const overlapping = gaps.filter(([start, end]) => end > fault.at && start < windowEnd);
    const longest = Math.max(0, ...overlapping.map(([start, end]) => end - start));
    const figures = byFault[key] ?? { faults: 0, longestStallMs: 0 };
    byFault[key] = { faults: figures.faults + 1, longestStallMs: Math.max(figures.longestStallMs, longest) };
  }
  return { longestStallMs, byFault };
}

/**
 * Progress is an answer of the inventory reaching the order service (a RECEIVED timeline entry):
 * one whole round of the saga, both consumer groups and both relays having moved.
 */
export async function availabilityOf(
  orderDatabaseUrl: string,
  customerPrefix: string,
  faults: readonly FaultRecord[],
  load: { from: number; until: number },
  accepted: number,
  timedOut: number,
): Promise<AvailabilityFigures> {
  const rows = await query<{ at: string }>(
    orderDatabaseUrl,
    `select (extract(epoch from t.recorded_at) * 1000)::bigint::text as at
       from order_timeline t join orders o on o.id = t.order_id
      where starts_with(o.customer_id, $1) and t.direction = 'RECEIVED'`,
    [customerPrefix],
  );
  const progress = rows.map((row) => Number(row.at));
  const stalls = stallsByFault(progress, faults, load);
  return {
    timedOut,
    timedOutShare: accepted === 0 ? 0 : timedOut / accepted,
    ...stalls,
  };
}
