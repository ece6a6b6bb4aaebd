import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StockAudit } from "./audit.js";
import { latencyChart } from "./chart.js";
import type { Comparison } from "./compare.js";
import type { Goal } from "./goals.js";
import type { Machine } from "./machine.js";
import type { Bracket } from "./search.js";
import type { TwoPercentiles } from "./stats.js";
import type { StepResult } from "./step.js";

export interface BenchResult {
  schema: 2;
  runId: string;
  mode: "full" | "quick";
  startedAt: string;
  finishedAt: string;
  durationS: number;
  git: { commit: string; dirty: boolean };
  machine: Machine & { loadAverageAtEnd: number[] };
  workload: Record<string, unknown>;
  floor: {
    kafkaHopMs: TwoPercentiles;
    commitMs: TwoPercentiles;
    samples: number;
    criticalPath: string;
    criticalPathMs: TwoPercentiles;
    postgres: Record<string, string>;
  };
  rates: StepResult[];
  search: { windowS: number; probes: StepResult[]; bracket: Bracket };
  /** Highest rate that held over a whole search window; null when the search did not run. */
  maxSustainedOrdersPerSec: number | null;
  /** Twice the sustained maximum (kind "overload"); null when skipped or nothing was sustained. */
  overload: StepResult | null;
  /** Saga p50 at 200 orders/s over the critical-path floor p50; null without a 200/s step. */
  ratioP50ToFloor: number | null;
  oversoldUnits: number;
  stock: StockAudit;
  /** Highest VmRSS of each service over every step. */
  rssMb: { order: number; inventory: number };
  /** VmRSS of each service once started and seeded, before any load. */
  rssMbIdle: { order: number; inventory: number };
  goals: Goal[];
  /** Headline figures against the previous `latest.json` (before → after, change in %). */
  comparedTo: Comparison | null;
}

function writeAtomically(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/** results/<timestamp>.json always; results/latest.json and latest.svg for a full plan of rates. */
export function writeResults(dir: string, result: BenchResult, latest: boolean): string[] {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamped = join(dir, `${result.startedAt.replace(/[:.]/g, "-")}.json`);
  writeAtomically(stamped, json);
  const written = [stamped];
  if (latest) {
    writeAtomically(join(dir, "latest.json"), json);
    const svg = latencyChart({
      title: "stocksaga: saga latency against arrival rate",
      subtitle:
        `${result.mode} run ${result.startedAt.slice(0, 16).replace("T", " ")} UTC, ${result.machine.cpus} × ${result.machine.model}, ` +
        `load average ${result.machine.loadAverageAtStart[0]} at start, ${result.machine.loadAverageAtEnd[0]} at end`,
      points: [...result.rates, ...result.search.probes, ...(result.overload ? [result.overload] : [])].map(
        (s) => ({
          offeredPerSec: s.offeredPerSec,
          probe: s.kind !== "fixed",
          sustained: s.sustained,
          achievedPerSec: s.achievedPerSec,
          p50: s.sagaLatencyMs.p50,
          p95: s.sagaLatencyMs.p95,
          p99: s.sagaLatencyMs.p99,
        }),
      ),
      floorMs: result.floor.criticalPathMs.p50,
      goals: [
        { label: "p50 goal at 200/s: 2× floor", ms: 2 * result.floor.criticalPathMs.p50 },
        { label: "p99 goal at 200/s: 6× floor", ms: 6 * result.floor.criticalPathMs.p50 },
      ],
    });
    writeAtomically(join(dir, "latest.svg"), svg);
    written.push(join(dir, "latest.json"), join(dir, "latest.svg"));
  }
  return written;
}

export function printSummary(result: BenchResult, log: (line: string) => void): void {
  const cell = (value: number | string, width: number) => String(value).padStart(width);
  log(
    `${cell("offered/s", 9)}${cell("achieved/s", 12)}${cell("p50 ms", 11)}${cell("p95 ms", 11)}${cell("p99 ms", 11)}${cell("max ms", 11)}` +
      `${cell("p50/floor", 11)}${cell("CPU ms/ord", 12)}${cell("refused", 9)}  sustained`,
  );
  for (const step of [
    ...result.rates,
    ...result.search.probes,
    ...(result.overload ? [result.overload] : []),
  ]) {
    const l = step.sagaLatencyMs;
    log(
      `${cell(step.offeredPerSec, 9)}${cell(step.achievedPerSec, 12)}${cell(l.p50, 11)}${cell(l.p95, 11)}` +
        `${cell(l.p99, 11)}${cell(l.max, 11)}${cell(step.ratioP50ToFloor ?? "n/a", 11)}` +
        `${cell(step.cpuMsPerOrder.total ?? "n/a", 12)}${cell(step.refusedPosts.count, 9)}  ${step.sustained ? "yes" : "no"}` +
        (step.kind === "fixed" ? "" : ` (${step.kind}, ${step.plannedS} s)`),
    );
  }
  const overload = result.overload;
  if (overload?.overload) {
    const r = overload.refusedPosts;
    log(
      `overload ${overload.offeredPerSec}/s: achieved ${overload.achievedPerSec}/s = ${overload.overload.achievedShareOfMax} of the ${overload.overload.maxSustainedPerSec}/s maximum; ` +
        `accepted ${overload.accepted}, p50 ${overload.sagaLatencyMs.p50} p99 ${overload.sagaLatencyMs.p99} ms, ${overload.overload.decisionTimeouts} decision timeouts; ` +
        `refused ${r.count} ${JSON.stringify(r.byStatus)} in p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} ms (${r.withRetryAfter} with Retry-After, ${r.problemJson} problem+json); ` +
        `failed ${JSON.stringify(overload.failedPosts)}`,
    );
  }
  log(
    `floor: 2 hops × ${result.floor.kafkaHopMs.p50} ms + 3 commits × ${result.floor.commitMs.p50} ms = ${result.floor.criticalPathMs.p50} ms; ratio p50@200/floor ${result.ratioP50ToFloor ?? "n/a"}`,
  );
  log(
    `max sustained ${result.maxSustainedOrdersPerSec ?? "n/a"}/s; oversold ${result.oversoldUnits}; RSS order ${result.rssMb.order} MB, inventory ${result.rssMb.inventory} MB`,
  );
  for (const goal of result.goals) {
    log(`${goal.met ? "met    " : "not met"}  ${goal.goal}: ${goal.measured} (goal ${goal.target})`);
  }
}
