import { round } from "./stats.js";

export interface ComparedFigure {
  figure: string;
  before: number | null;
  after: number | null;
  /** (after − before) / before, %; null when either is missing or before is 0. */
  changePct: number | null;
  /** The previous run predates the figure: derived from what it did record (see the README). */
  derivedBefore?: boolean;
}

export interface Comparison {
  /** The run compared with: its file, commit and start. */
  file: string;
  runId: string | null;
  commit: string | null;
  date: string | null;
  figures: ComparedFigure[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const numberAt = (value: unknown, ...path: string[]): number | null => {
  let at: unknown = value;
  for (const key of path) at = isObject(at) ? at[key] : undefined;
  return typeof at === "number" && Number.isFinite(at) ? at : null;
};
const stringAt = (value: unknown, ...path: string[]): string | null => {
  let at: unknown = value;
  for (const key of path) at = isObject(at) ? at[key] : undefined;
  return typeof at === "string" ? at : null;
};

function fixedSteps(run: unknown): Json[] {
  const rates = isObject(run) ? run.rates : undefined;
  return Array.isArray(rates)
    ? rates.filter(isObject).filter((s) => s.kind === undefined || s.kind === "fixed")
    : [];
}

function stepAt(run: unknown, rate: number): Json | undefined {
  return fixedSteps(run).find((s) => numberAt(s, "offeredPerSec") === rate);
}

/**
 * Machine CPU ms per order at a step. Runs before the CPU budget recorded only how busy the
 * machine was: busy share × cores × 1 s over the orders decided per second is the same figure
 * read off the achieved rate instead of the orders completed in the window.
 */
function cpuMsPerOrder(run: unknown, step: Json): { value: number | null; derived: boolean } {
  const measured = numberAt(step, "cpuMsPerOrder", "total");
  if (measured !== null) return { value: measured, derived: false };
  const busy = numberAt(step, "cpu", "machineBusyPercent");
  const cores = numberAt(run, "machine", "cpus");
  const achieved = numberAt(step, "achievedPerSec");
  if (busy === null || cores === null || achieved === null || achieved <= 0)
    return { value: null, derived: false };
  return { value: round((busy / 100) * cores * (1000 / achieved), 2), derived: true };
}

/** p50 at a fixed rate over the critical-path floor, from the raw figures of any run. */
function ratioToFloor(run: unknown, rate: number): number | null {
  const step = stepAt(run, rate);
  const p50 = step ? numberAt(step, "sagaLatencyMs", "p50") : null;
  const floor = numberAt(run, "floor", "criticalPathMs", "p50");
  return p50 === null || floor === null || floor <= 0 ? null : round(p50 / floor, 2);
}

function row(
  figure: string,
  before: number | null,
  after: number | null,
  derivedBefore = false,
): ComparedFigure {
  const changePct =
    before === null || after === null || before === 0 ? null : round(((after - before) / before) * 100, 1);
  return { figure, before, after, changePct, ...(derivedBefore ? { derivedBefore } : {}) };
}

/**
 * The headline figures of this run against the previous `latest.json` (any schema: what it lacks
 * is null): max sustained, CPU ms per order at each fixed rate both ran, p50 over the floor at
 * 200 and 500/s, and each service's highest RSS.
 */
export function compareRuns(previous: unknown, current: unknown, file: string): Comparison {
  const figures: ComparedFigure[] = [
    row(
      "max sustained orders/s",
      numberAt(previous, "maxSustainedOrdersPerSec"),
      numberAt(current, "maxSustainedOrdersPerSec"),
    ),
  ];
  for (const step of fixedSteps(current)) {
    const rate = numberAt(step, "offeredPerSec");
    const earlier = rate === null ? undefined : stepAt(previous, rate);
    if (rate === null || !earlier) continue;
    const before = cpuMsPerOrder(previous, earlier);
    figures.push(
      row(`CPU ms/order at ${rate}/s`, before.value, cpuMsPerOrder(current, step).value, before.derived),
    );
  }
  for (const rate of [200, 500]) {
    figures.push(row(`p50 / floor at ${rate}/s`, ratioToFloor(previous, rate), ratioToFloor(current, rate)));
  }
  for (const service of ["order", "inventory"]) {
    figures.push(
      row(`RSS ${service} MB`, numberAt(previous, "rssMb", service), numberAt(current, "rssMb", service)),
    );
  }
  return {
    file,
    runId: stringAt(previous, "runId"),
    commit: stringAt(previous, "git", "commit"),
    date: stringAt(previous, "startedAt"),
    figures,
  };
}

export function describeComparison(comparison: Comparison): string[] {
  const value = (v: number | null) => (v === null ? "n/a" : String(v));
  return [
    `compared with ${comparison.file} (run ${comparison.runId ?? "?"}, commit ${comparison.commit ?? "?"}, ${comparison.date ?? "?"}):`,
    ...comparison.figures.map(
      (f) =>
        `  ${f.figure}: ${value(f.before)}${f.derivedBefore ? " (derived)" : ""} → ${value(f.after)}` +
        (f.changePct === null ? "" : ` (${f.changePct > 0 ? "+" : ""}${f.changePct} %)`),
    ),
  ];
}
