// First: --brokers must reach the environment before the stack's settings are evaluated.
import "./broker-count-from-argv.js";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Settings } from "@stocksaga/deploy/stack";
import { FAULT_KINDS, type FaultKind } from "./faults.js";
import { FULL_RUN, type HarnessConfig, runFaultHarness, SHORT_RUN } from "./harness.js";
import { formatReport } from "./report.js";
import { ThrowawayPostgres } from "./throwaway-postgres.js";

/**
 * `npm run test:faults`: the full fault run (at least 5,000 orders, every fault at least twice)
 * against the local stack the environment points at. Exits 1 on any violation.
 *   --short        the size of the run inside `npm test`
 *   --orders N     orders to place at least      --rate R    orders per second
 *   --rounds N     fault rounds at least         --seed S    replay a run's random choices
 *   --brokers 3    on a 3-broker cluster of the local stack (STOCKSAGA_KAFKA_BROKER_COUNT), adding
 *                  SIGKILL of the busiest partition's leader, a rolling restart, one broker down
 *                  longer than a session; implies --throwaway-postgres
 *   --throwaway-postgres   the services' databases on a PostgreSQL cluster of the run's own
 *                  (initdb in a temporary folder), restarted under load as one more fault
 *   --postgres-port P      its port (default: any free one)
 *   --decision-timeout MS  the order service's ORDER_DECISION_TIMEOUT_MS (default 10 s; the
 *                  production default is 30 s)
 *   --only K1,K2   only these fault kinds, to study one (sigkill, broker-restart, leader-kill, …)
 */
const { values } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    orders: { type: "string" },
    rate: { type: "string" },
    rounds: { type: "string" },
    seed: { type: "string" },
    brokers: { type: "string" },
    "throwaway-postgres": { type: "boolean", default: false },
    "postgres-port": { type: "string" },
    "decision-timeout": { type: "string" },
    only: { type: "string" },
  },
});

const { down, prepareSystem, settings: stackSettings } = await import("@stocksaga/deploy/stack");
if (values.brokers !== undefined && stackSettings.kafka.brokerCount !== Number(values.brokers)) {
  throw new Error(
    `--brokers ${values.brokers}: the stack was set up for ${stackSettings.kafka.brokerCount} broker(s)`,
  );
}
const throwaway = values["throwaway-postgres"] || Number(values.brokers ?? 1) >= 3;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function faultKindsOf(list: string): FaultKind[] {
  const kinds = list.split(",").map((kind) => kind.trim());
  for (const kind of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind))
      throw new Error(`--only: ${kind} is not one of ${FAULT_KINDS.join(", ")}`);
  }
  return kinds as FaultKind[];
}

const base = values.short ? SHORT_RUN : FULL_RUN;
const number = (value: string | undefined, fallback: number) =>
  value === undefined ? fallback : Number(value);
const config: HarnessConfig = {
  ...base,
  orders: number(values.orders, base.orders),
  ratePerSecond: number(values.rate, base.ratePerSecond),
  minRounds: number(values.rounds, base.minRounds),
  decisionTimeoutMs: number(values["decision-timeout"], base.decisionTimeoutMs),
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
  ...(values.only !== undefined ? { only: faultKindsOf(values.only) } : {}),
};

const started = Date.now();
const log = (line: string) =>
  console.log(`[faults +${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const postgres = throwaway
  ? await ThrowawayPostgres.start(
      values["postgres-port"] !== undefined ? Number(values["postgres-port"]) : await freePort(),
      log,
    )
  : undefined;
const settings: Settings = postgres
  ? {
      ...stackSettings,
      postgres: {
        ...stackSettings.postgres,
        orderUrl: postgres.url("stocksaga_faults_order"),
        inventoryUrl: postgres.url("stocksaga_faults_inventory"),
      },
    }
  : stackSettings;

let stackStarted: string[] = [];
let exitCode = 1;
try {
  stackStarted = (await prepareSystem(settings, (line) => log(`stack: ${line}`))).started;
  const report = await runFaultHarness(settings, config, log, postgres ? { postgres } : {});
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
  await postgres?.stop();
}
process.exit(exitCode);
