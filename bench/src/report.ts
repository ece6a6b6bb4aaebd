import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StockAudit } from "./audit.js";
import { latencyChart } from "./chart.js";
import type { Comparison } from "./compare.js";
import type { Machine } from "./machine.js";
import type { Bracket } from "./search.js";
import type { TwoPercentiles } from "./stats.js";
import type { StepResult } from "./step.js";

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

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

/** The goals of issue 6, judged on this run's figures. */
export function evaluateGoals(result: BenchResult): Goal[] {
  const at200 = result.rates.find((s) => s.offeredPerSec === 200);
  const p50 = at200?.sagaLatencyMs.p50;
  const p99 = at200?.sagaLatencyMs.p99;
  const missing = "no 200/s step";
  return [
    {
      goal: "saga p50 at 200 orders/s within 3× the critical-path floor",
      target: "≤ 3×",
      measured: result.ratioP50ToFloor === null ? missing : `${result.ratioP50ToFloor}×`,
      met: result.ratioP50ToFloor !== null && result.ratioP50ToFloor <= 3,
    },
    {
      goal: "saga p50 at 200 orders/s",
      target: "< 25 ms",
      measured: p50 === undefined ? missing : `${p50} ms`,
      met: p50 !== undefined && p50 < 25,
    },
    {
      goal: "saga p99 at 200 orders/s",
      target: "< 150 ms",
      measured: p99 === undefined ? missing : `${p99} ms`,
      met: p99 !== undefined && p99 < 150,
    },
    {
      goal: "orders/s sustained with zero oversold",
      target: "≥ 1,000/s, 0 oversold",
      measured:
        result.maxSustainedOrdersPerSec === null
          ? "search not run"
          : `${result.maxSustainedOrdersPerSec}/s over ${result.search.windowS} s, ${result.oversoldUnits} oversold`,
      met:
        result.maxSustainedOrdersPerSec !== null &&
        result.maxSustainedOrdersPerSec >= 1_000 &&
        result.oversoldUnits === 0,
    },
    {
      goal: "RSS of each service",
      target: "< 250 MB",
      measured: `order ${result.rssMb.order} MB, inventory ${result.rssMb.inventory} MB`,
      met: result.rssMb.order < 250 && result.rssMb.inventory < 250,
    },
  ];
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
        { label: "p50 goal 25 ms", ms: 25 },
        { label: "p99 goal 150 ms", ms: 150 },
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
    `${cell("offered/s", 9)}${cell("achieved/s", 12)}${cell("p50 ms", 11)}${cell("p95 ms", 11)}${cell("p99 ms", 11)}${cell("max ms", 11)}  sustained`,
  );
  for (const step of [
    ...result.rates,
    ...result.search.probes,
    ...(result.overload ? [result.overload] : []),
  ]) {
    const l = step.sagaLatencyMs;
    log(
      `${cell(step.offeredPerSec, 9)}${cell(step.achievedPerSec, 12)}${cell(l.p50, 11)}${cell(l.p95, 11)}` +
        `${cell(l.p99, 11)}${cell(l.max, 11)}  ${step.sustained ? "yes" : "no"}` +
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
