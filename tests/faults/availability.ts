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
  /** Every stall of at least `LISTED_STALL_MS`, from the start of the load, to set beside the faults. */
  stalls: { fromMs: number; ms: number }[];
}

/** Stalls at least this long are listed one by one in the report. */
export const LISTED_STALL_MS = 3_000;

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

/** A gap whose last progress came this shortly before an injection is still that fault's. */
export const ATTRIBUTION_SLACK_MS = 1_000;

/**
 * Longest stall per fault kind. Each gap between moments of progress is laid at one fault: the
 * last one injected before the gap began (give or take `ATTRIBUTION_SLACK_MS`), provided the gap
 * began inside its window, from its injection to `STALL_WINDOW_MS` after it ended (a broker
 * restart ends when the broker answers again; a SIGKILL at once, while what it does lasts a
 * session timeout). Faults close together never share one stall: a stall that began after the
 * second injection is the second's, one already running then stays the first's.
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
    byFault[key] = {
      faults: (byFault[key]?.faults ?? 0) + 1,
      longestStallMs: byFault[key]?.longestStallMs ?? 0,
    };
  }
  const byInjection = [...faults].sort((a, b) => a.at - b.at);
  for (const [start, end] of gaps) {
    const fault = byInjection.filter((candidate) => candidate.at <= start + ATTRIBUTION_SLACK_MS).at(-1);
    if (!fault || start >= fault.at + fault.durationMs + STALL_WINDOW_MS) continue;
    const figures = byFault[keyOf(fault)] as StallFigures;
    figures.longestStallMs = Math.max(figures.longestStallMs, end - start);
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
    stalls: gapsBetween(progress, load.from, load.until)
      .filter(([start, end]) => end - start >= LISTED_STALL_MS)
      .map(([start, end]) => ({ fromMs: start - load.from, ms: end - start })),
  };
}
