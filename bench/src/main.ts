import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { down, prepareSystem, type ServiceProcess, settings, startService } from "@stocksaga/deploy/stack";
import { createLogger, issueToken } from "@stocksaga/platform";
import { type Admin, Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { auditStock, type StockAudit } from "./audit.js";
import { type Comparison, compareRuns, describeComparison } from "./compare.js";
import { describeCpu } from "./cpu-budget.js";
import { measureCommit, measureKafkaHop } from "./floor.js";
import { evaluateGoals } from "./goals.js";
import { HttpTarget } from "./load.js";
import { gitRevision, loadAverage, machine, postgresSettings } from "./machine.js";
import { BacklogProbe, CommitClock, type Databases, rssMb as residentMb } from "./observe.js";
import { type BenchOptions, parseOptions, worstCaseSeconds } from "./options.js";
import { overloadBase, overloadFigures } from "./overload.js";
import { type BenchResult, printSummary, writeResults } from "./report.js";
import { bracketFrom, narrowed, nextProbe, roundRate } from "./search.js";
import { p50p99, round } from "./stats.js";
import { runStep, type StepContext, type StepResult } from "./step.js";
import { databaseName, describeWork, WorkProbe } from "./work.js";
import { Catalogue, DEFAULT_WORKLOAD, randomSource } from "./workload.js";

const benchDir = resolveBenchDir();
/** The most the inventory's API accepts as one product's stock (PRODUCT_LIMITS.maxOnHand). */
const MAX_ON_HAND = 1_000_000;
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function resolveBenchDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

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

/** `npx turbo run build` for both services and what they depend on; the compiled entries are what runs. */
async function build(logDir: string): Promise<void> {
  const logFile = join(logDir, "build.log");
  const out = createWriteStream(logFile);
  const child = spawn(
    "npx",
    [
      "turbo",
      "run",
      "build",
      "--filter=@stocksaga/order-service",
      "--filter=@stocksaga/inventory-service",
      "--output-logs=errors-only",
    ],
    { cwd: settings.repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const [code] = (await once(child, "exit")) as [number | null];
  await new Promise((resolve) => out.end(resolve));
  if (code !== 0) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`build failed (exit ${code}); ${logFile}:\n${tail}`);
  }
}

async function seedProducts(
  inventory: HttpTarget,
  adminToken: string,
  stock: ReadonlyMap<string, number>,
): Promise<void> {
  const queue = [...stock];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [sku, onHand] = next;
      const reply = await inventory.send(
        "POST",
        "/products",
        { authorization: `Bearer ${adminToken}` },
        JSON.stringify({ sku, name: `Bench product ${sku}`, onHand }),
      );
      if (reply.status !== 201) throw new Error(`seeding ${sku}: HTTP ${reply.status} ${reply.body}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

interface Resources {
  services: ServiceProcess[];
  startedStack: string[];
  /** The stack being brought up: an interruption waits for it, then stops what it started. */
  preparing?: Promise<unknown>;
  pools: pg.Pool[];
  admin?: Admin;
  commits?: CommitClock;
  targets: HttpTarget[];
  /** Set when a signal interrupted the run: its connections are about to close. */
  interrupted?: boolean;
}

async function release(resources: Resources): Promise<void> {
  for (const target of resources.targets) target.close();
  await resources.commits?.stop();
  await resources.admin?.disconnect().catch(() => undefined);
  await Promise.all(resources.pools.map((p) => p.end().catch(() => undefined)));
  await Promise.all(resources.services.map((s) => s.stop()));
  resources.services.length = 0;
  await resources.preparing?.catch(() => undefined);
  if (resources.startedStack.length > 0) {
    await down(settings, log, resources.startedStack);
    resources.startedStack.length = 0;
  }
}

function describe(step: StepResult): string {
  const l = step.sagaLatencyMs;
  return (
    `${step.kind} ${step.offeredPerSec}/s: achieved ${step.achievedPerSec}/s, saga p50 ${l.p50} p95 ${l.p95} ` +
    `p99 ${l.p99} max ${l.max} ms, ${step.ordersSent} sent in ${step.durationS} s, drained in ${step.drainS} s, ` +
    (step.refusedPosts.count > 0
      ? `${step.refusedPosts.count} refused ${JSON.stringify(step.refusedPosts.byStatus)} in p99 ${step.refusedPosts.latencyMs.p99} ms, `
      : "") +
    `consumers order ${step.consumers.order.perSec} inventory ${step.consumers.inventory.perSec} msg/s; ` +
    `machine ${step.cpu.machineBusyPct} % busy, ${step.cpuMsPerOrder.total ?? "n/a"} CPU ms/order; ` +
    `${step.sustained ? "sustained" : `not sustained (${step.verdict.join("; ")})`}`
  );
}

function logStep(step: StepResult): void {
  log(describe(step));
  log(`  ${describeCpu(step.cpu, step.cpuMsPerOrder)}`);
  log(`  ${describeWork(step.workPerOrder)}`);
}

async function run(options: BenchOptions, resources: Resources): Promise<BenchResult> {
  const startedAt = new Date();
  const runId = `r${startedAt.getTime().toString(36)}`;
  const logDir = join(settings.stackDir, "bench", runId);
  mkdirSync(logDir, { recursive: true });
  const machineInfo = machine();
  log(
    `${options.mode} run ${runId}: rates ${options.rates.join(", ")}/s for ${options.stepSeconds} s each` +
      (options.search
        ? `, then up to ${options.maxProbes} search probes of ${options.searchSeconds} s`
        : "") +
      (options.overload
        ? `, then ${options.overloadFactor}× the maximum for ${options.overloadSeconds} s (overload)`
        : "") +
      `; at most ~${Math.ceil(worstCaseSeconds(options) / 60)} min. Logs: ${logDir}`,
  );
  log(`load average before: ${machineInfo.loadAverageAtStart.join(" ")}`);

  if (options.build) {
    log("building the services (npx turbo run build)");
    await build(logDir);
  }

  const preparing = prepareSystem(settings, (line) => log(`stack: ${line}`)).then((prepared) => {
    resources.startedStack.push(...prepared.started);
    return prepared;
  });
  resources.preparing = preparing;
  await preparing;

  const secret = randomBytes(32).toString("base64url");
  const env = { AUTH_JWT_SECRET: secret, NODE_ENV: "production", LOG_LEVEL: "warn" };
  const [inventory, order] = await Promise.all([
    startService(settings, "inventory", {
      port: await freePort(),
      env,
      entry: "compiled",
      logFile: join(logDir, "inventory.log"),
    }),
    startService(settings, "order", {
      port: await freePort(),
      env,
      entry: "compiled",
      logFile: join(logDir, "order.log"),
    }),
  ]);
  resources.services.push(inventory, order);
  log(
    `services up (compiled, NODE_ENV=production): order ${order.url} (pid ${order.pid}), inventory ${inventory.url} (pid ${inventory.pid})`,
  );

  const databases: Databases = {
    order: new pg.Pool({ connectionString: settings.postgres.orderUrl, max: 2 }),
    inventory: new pg.Pool({ connectionString: settings.postgres.inventoryUrl, max: 2 }),
  };
  resources.pools.push(databases.order, databases.inventory);
  const kafka = new Kafka({
    clientId: "bench-observer",
    brokers: [...settings.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  resources.admin = admin;

  const orderTarget = new HttpTarget(order.url, 512);
  const inventoryTarget = new HttpTarget(inventory.url, 16);
  resources.targets.push(orderTarget, inventoryTarget);

  const catalogue = new Catalogue(`B${runId.slice(1).toUpperCase()}`, DEFAULT_WORKLOAD);
  // The search probes below twice the highest fixed rate, and the overload step doubles what it finds.
  const highestSearchable = (options.search ? 2 : 1) * Math.max(...options.rates);
  const plannedOrders =
    options.rates.reduce((sum, rate) => sum + rate * options.stepSeconds, 0) +
    (options.search ? options.maxProbes * highestSearchable * options.searchSeconds : 0) +
    (options.overload ? options.overloadFactor * highestSearchable * options.overloadSeconds : 0) +
    options.warmupRate * options.warmupSeconds;
  const stock = new Map(
    catalogue
      .stockFor(plannedOrders, options.stockMargin, MAX_ON_HAND)
      .map((units, k) => [catalogue.skus[k] ?? "", units]),
  );
  const capped = [...stock.values()].filter((units) => units >= MAX_ON_HAND).length;
  const adminToken = await issueToken(secret, {
    sub: `bench-${runId}-admin`,
    roles: ["admin"],
    ttlSeconds: 6 * 3600,
  });
  await seedProducts(inventoryTarget, adminToken, stock);
  const customers = Array.from({ length: options.customers }, (_, i) => `bench-${runId}-c${i}`);
  const tokens = await Promise.all(customers.map((sub) => issueToken(secret, { sub, ttlSeconds: 6 * 3600 })));
  log(
    `seeded ${stock.size} SKUs (${[...stock.values()].reduce((a, b) => a + b, 0)} units, Zipf s=${DEFAULT_WORKLOAD.zipfExponent}) for ~${plannedOrders} orders` +
      `${capped > 0 ? ` (${capped} hot SKUs capped at ${MAX_ON_HAND} units, the inventory's limit)` : ""}; ${customers.length} customers`,
  );

  const rssMbIdle = {
    order: round(residentMb(order.pid), 1),
    inventory: round(residentMb(inventory.pid), 1),
  };
  const commits = new CommitClock(settings.postgres.orderUrl, () => Date.now());
  await commits.start();
  resources.commits = commits;
  const context: StepContext = {
    order: orderTarget,
    kafka,
    admin,
    tokens,
    catalogue,
    random: randomSource(options.seed),
    probe: new BacklogProbe(databases, admin, { order: order.pid, inventory: inventory.pid }, customers),
    commits,
    databases,
    cpuGroups: {
      services: { order: order.pid, inventory: inventory.pid },
      harness: process.pid,
      // The markers deploy/local puts on the java command lines it starts (kafka.ts, registry.ts).
      kafkaMarker: `-Dstocksaga.stack=${settings.stackDir}/kafka`,
      registryMarker: `-Dstocksaga.stack=${settings.stackDir}/registry`,
    },
    work: new WorkProbe(
      databases,
      {
        order: databaseName(settings.postgres.orderUrl),
        inventory: databaseName(settings.postgres.inventoryUrl),
      },
      { order: order.url, inventory: inventory.url },
    ),
    cutOffSeconds: options.cutOffSeconds,
    maxProjectedDrainS: options.maxProjectedDrainS,
    graceSeconds: options.graceSeconds,
    interrupted: () => resources.interrupted === true,
    knownCapacity: 0,
    drainCapS: options.drainCapS,
    log,
  };

  log(`warm-up: ${options.warmupRate}/s for ${options.warmupSeconds} s (not recorded)`);
  const warmup = await runStep(context, {
    kind: "warmup",
    ratePerSec: options.warmupRate,
    durationS: options.warmupSeconds,
  });
  logStep(warmup);

  log(`floor: ${options.floorSamples} Kafka hops and ${options.floorSamples} commits, one at a time`);
  const hops = await measureKafkaHop({
    brokers: settings.kafka.brokers,
    samples: options.floorSamples,
    warmup: 20,
    logger: createLogger("bench-floor", "warn"),
    runId,
  });
  const commitTimes = await measureCommit({
    databaseUrl: settings.postgres.orderUrl,
    samples: options.floorSamples,
    warmup: 20,
  });
  const kafkaHopMs = p50p99(hops);
  const commitMs = p50p99(commitTimes);
  const floor = {
    kafkaHopMs,
    commitMs,
    samples: options.floorSamples,
    criticalPath: "2 Kafka hops + 3 commits (order placed, stock reserved, order decided)",
    criticalPathMs: {
      p50: round(2 * kafkaHopMs.p50 + 3 * commitMs.p50, 2),
      p99: round(2 * kafkaHopMs.p99 + 3 * commitMs.p99, 2),
    },
    postgres: await postgresSettings(databases.order),
  };
  context.criticalPathP50Ms = floor.criticalPathMs.p50;
  log(
    `floor: hop p50 ${kafkaHopMs.p50} p99 ${kafkaHopMs.p99} ms; commit p50 ${commitMs.p50} p99 ${commitMs.p99} ms; critical path p50 ${floor.criticalPathMs.p50} ms`,
  );

  const rates: StepResult[] = [];
  for (const rate of options.rates) {
    log(`step: ${rate}/s for ${options.stepSeconds} s`);
    const step = await runStep(context, { kind: "fixed", ratePerSec: rate, durationS: options.stepSeconds });
    rates.push(step);
    logStep(step);
  }

  const probes: StepResult[] = [];
  let bracket = bracketFrom(rates);
  if (options.search) {
    for (let i = 0; i < options.maxProbes; i++) {
      const rate = nextProbe(bracket, i);
      if (rate === undefined) break;
      log(
        `search: ${rate}/s for ${options.searchSeconds} s (sustained so far: ${bracket.lo}/s, not: ${bracket.hi}/s)`,
      );
      const probe = await runStep(context, {
        kind: "search",
        ratePerSec: rate,
        durationS: options.searchSeconds,
      });
      probes.push(probe);
      bracket = narrowed(bracket, rate, probe.sustained);
      logStep(probe);
    }
  }

  const maxSustainedOrdersPerSec = options.search ? bracket.lo : null;
  let overload: StepResult | null = null;
  if (options.overload) {
    const base = overloadBase(maxSustainedOrdersPerSec, rates);
    if (base === undefined) {
      log("overload: skipped, no rate was sustained to double");
    } else {
      const rate = roundRate(options.overloadFactor * base);
      log(`overload: ${rate}/s (${options.overloadFactor}× ${base}/s) for ${options.overloadSeconds} s`);
      overload = await runStep(context, {
        kind: "overload",
        ratePerSec: rate,
        durationS: options.overloadSeconds,
      });
      overload.overload = overloadFigures(overload, base);
      logStep(overload);
    }
  }

  const all = [warmup, ...rates, ...probes, ...(overload ? [overload] : [])];
  const settled = all.every((s) => s.drained);
  const audit: StockAudit = await auditStock({ databases, seeded: stock, customers, settled });
  log(
    `stock audit: oversold ${audit.oversoldUnits} units; ${audit.confirmedUnits} confirmed, ${audit.committedUnits} committed of ${audit.seededUnits} seeded`,
  );

  const rssMb = {
    order: Math.max(...all.map((s) => s.rssMb.order)),
    inventory: Math.max(...all.map((s) => s.rssMb.inventory)),
  };
  const at200 = rates.find((s) => s.offeredPerSec === 200);
  const ratioP50ToFloor = at200?.ratioP50ToFloor ?? null;
  const finishedAt = new Date();
  const result: BenchResult = {
    schema: 2,
    runId,
    mode: options.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 0),
    git: gitRevision(settings.repoRoot),
    machine: { ...machineInfo, loadAverageAtEnd: loadAverage() },
    workload: {
      ...DEFAULT_WORKLOAD,
      customers: options.customers,
      stockMargin: options.stockMargin,
      seed: options.seed,
      stepSeconds: options.stepSeconds,
      searchSeconds: options.searchSeconds,
      cutOffSeconds: options.cutOffSeconds,
      arrivals: "open loop, evenly spaced, latency from the scheduled send time",
      finalTime:
        "the order service's commit notification of the final status (orders.updated_at as fallback)",
    },
    floor,
    rates,
    search: { windowS: options.searchSeconds, probes, bracket },
    maxSustainedOrdersPerSec,
    overload,
    ratioP50ToFloor,
    oversoldUnits: audit.oversoldUnits,
    stock: audit,
    rssMb,
    rssMbIdle,
    goals: [],
    comparedTo: null,
  };
  result.goals = evaluateGoals(result);
  return result;
}

/** This run's headline figures against the `latest.json` it is about to replace, when there is one. */
function previousRun(file: string, result: BenchResult): Comparison | null {
  if (!existsSync(file)) return null;
  try {
    return compareRuns(JSON.parse(readFileSync(file, "utf8")), result, relative(benchDir, file));
  } catch (error) {
    log(`comparison: could not read ${file}: ${String(error)}`);
    return null;
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const resources: Resources = { services: [], startedStack: [], pools: [], targets: [] };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    resources.interrupted = true;
    log("interrupted: stopping what this run started");
    void release(resources).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await run(options, resources);
    result.comparedTo = previousRun(join(benchDir, "results", "latest.json"), result);
    const written = writeResults(join(benchDir, "results"), result, options.writeLatest);
    printSummary(result, log);
    if (result.comparedTo) for (const line of describeComparison(result.comparedTo)) log(line);
    log(`results: ${written.join(", ")}`);
    log(`load average after: ${result.machine.loadAverageAtEnd.join(" ")}`);
    if (result.oversoldUnits > 0) {
      log(`FAIL: ${result.oversoldUnits} units oversold`);
      return 2;
    }
    return 0;
  } finally {
    await release(resources);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
