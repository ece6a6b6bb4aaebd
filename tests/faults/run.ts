import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { down, prepareSystem, settings } from "@stocksaga/deploy/stack";
import { FULL_RUN, type HarnessConfig, runFaultHarness, SHORT_RUN } from "./harness.js";
import { formatReport } from "./report.js";

/**
 * `npm run test:faults`: the full fault run (at least 5,000 orders, every fault at least twice)
 * against the local stack the environment points at. Exits 1 on any violation.
 *   --short        the size of the run inside `npm test`
 *   --orders N     orders to place at least      --rate R    orders per second
 *   --rounds N     fault rounds at least         --seed S    replay a run's random choices
 */
const { values } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    orders: { type: "string" },
    rate: { type: "string" },
    rounds: { type: "string" },
    seed: { type: "string" },
  },
});

const base = values.short ? SHORT_RUN : FULL_RUN;
const number = (value: string | undefined, fallback: number) =>
  value === undefined ? fallback : Number(value);
const config: HarnessConfig = {
  ...base,
  orders: number(values.orders, base.orders),
  ratePerSecond: number(values.rate, base.ratePerSecond),
  minRounds: number(values.rounds, base.minRounds),
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
};

const started = Date.now();
const log = (line: string) =>
  console.log(`[faults +${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const { started: stackStarted } = await prepareSystem(settings, (line) => log(`stack: ${line}`));
let exitCode = 1;
try {
  const report = await runFaultHarness(settings, config, log);
  const lines = formatReport(report);
  console.log(lines.join("\n"));
  const file = join(settings.stackDir, "faults-logs", report.runTag, "report.json");
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${file}`);
  exitCode = report.violations.length === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
} finally {
  if (stackStarted.length > 0) await down(settings, (line) => log(`stack: ${line}`), stackStarted);
}
process.exit(exitCode);
