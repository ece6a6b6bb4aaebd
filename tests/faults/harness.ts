import { randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EventCodec } from "@stocksaga/contracts";
import { findKafkaJava, type Settings } from "@stocksaga/deploy/stack";
import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
import pg from "pg";
import { type AvailabilityFigures, availabilityOf } from "./availability.js";
import { FleetClient, type RequestFigures } from "./client.js";
import { FaultInjector, type FaultKind, type FaultRecord, type LeaderMove } from "./faults.js";
import { Fleet, type Log, type UnexpectedExit } from "./fleet.js";
import { LoadDriver } from "./load.js";
import type { Poison } from "./poison.js";
import { Random } from "./random.js";
import type { ThrowawayPostgres } from "./throwaway-postgres.js";
import { endOffsets, groupLag, type Offsets, sameOffsets } from "./topics.js";
import { query, type Verification, type Violation, verify } from "./verify.js";

export interface HarnessConfig {
  /** Orders to place at least; the load also runs until every fault round is done. */
  orders: number;
  ratePerSecond: number;
  /** Rounds of faults (each injects every fault once) at least. */
  minRounds: number;
  skus: number;
  initialStock: number;
  customers: number;
  restock: { everyMs: number; units: number; shrinkShare: number };
  cancelRightAwayShare: number;
  cancelAfterConfirmationShare: number;
  maxInFlight: number;
  decisionTimeoutMs: number;
  /** Pause before each fault, drawn from this range. */
  gapMs: readonly [number, number];
  /** Load without faults before the first round and between rounds: orders are decided, not timed out. */
  calmMs: number;
  duplicatesOffAfterRound: boolean;
  /** Start further rounds while fewer than `orders` were placed (else the load alone goes on). */
  roundsUntilOrders: boolean;
  /** See FaultOptions.othersBetweenWaves. */
  othersBetweenWaves: boolean;
  /** Upper bound for catching up and every order becoming final, once the faults stop. */
  settleTimeoutMs: number;
  /** Only these fault kinds (to study one); every kind when absent. */
  only?: readonly FaultKind[];
  seed?: number;
  jwtSecret?: string;
  logLevel?: string;
}

/** The full run: at least 5,000 orders, every fault at least twice. */
export const FULL_RUN: HarnessConfig = {
  orders: 5_000,
  // Well inside what two instances of each service sustain here under faults (see README,
  // Performance): the run is about faults, not throughput.
  ratePerSecond: 15,
  minRounds: 2,
  skus: 8,
  initialStock: 60,
  customers: 400,
  restock: { everyMs: 500, units: 6, shrinkShare: 0.1 },
  cancelRightAwayShare: 0.04,
  cancelAfterConfirmationShare: 0.06,
  maxInFlight: 64,
  decisionTimeoutMs: 10_000,
  gapMs: [4_000, 12_000],
  calmMs: 30_000,
  duplicatesOffAfterRound: true,
  roundsUntilOrders: true,
  othersBetweenWaves: false,
  settleTimeoutMs: 300_000,
};

/** The short run inside `npm test`: a few hundred orders, every fault once. */
export const SHORT_RUN: HarnessConfig = {
  orders: 250,
  ratePerSecond: 5,
  minRounds: 1,
  skus: 8,
  initialStock: 20,
  customers: 60,
  restock: { everyMs: 500, units: 6, shrinkShare: 0.1 },
  cancelRightAwayShare: 0.05,
  cancelAfterConfirmationShare: 0.08,
  maxInFlight: 32,
  decisionTimeoutMs: 10_000,
  gapMs: [1_000, 3_000],
  calmMs: 5_000,
  duplicatesOffAfterRound: false,
  roundsUntilOrders: false,
  othersBetweenWaves: true,
  settleTimeoutMs: 120_000,
};

/** The services' consumer session timeout in the run (their default). */
export const SESSION_TIMEOUT_MS = 6_000;

export interface HarnessReport {
  seed: number;
  runTag: string;
  brokers: number;
  /** Where the services' databases were: the stack's PostgreSQL, or a throwaway cluster of the run. */
  postgres: "stack" | "throwaway";
  /** Orders rejected by TIMEOUT, and the longest stretch without a saga answer per fault kind. */
  decisions: AvailabilityFigures;
  decisionTimeoutMs: number;
  leaderMoves: LeaderMove[];
  durations: { loadMs: number; totalMs: number };
  /** When the load began (epoch ms): the report's timeline counts from here. */
  loadStartedAt: number;
  orders: {
    placed: number;
    accepted: number;
    byStatus: Record<string, number>;
    rejectionReasons: Record<string, number>;
  };
  cancellations: {
    requestedRightAway: number;
    requestedAfterConfirmation: number;
    whilePending: number;
    afterDecision: number;
  };
  adjustments: Verification["adjustments"];
  faults: Record<string, number>;
  faultLog: FaultRecord[];
  poison: Poison[];
  unexpectedExits: UnexpectedExit[];
  instanceStarts: { total: number; withDuplicatePublish: number };
  /** From the last fault to: consumer groups caught up and outboxes empty; and every order final too. */
  recovery: { caughtUpMs: number | null; settledMs: number | null };
  deadLettersByReason: Record<string, number>;
  poisonDeadLetteredAgain: number;
  earlierPoison: number;
  topics: Verification["topics"];
  requests: RequestFigures;
  throttledTicks: number;
  availability: { minAvailable: number | null; samples: number; failedSamples: number };
  stock: Verification["stock"];
  violations: Violation[];
}

const SAGA_GROUPS = [
  { group: "inventory-service", topic: "order-events" },
  { group: "order-service", topic: "reservation-events" },
] as const;
const TOPICS = ["order-events", "reservation-events", "stock-events", "dead-letters"];

/** Samples `min(on_hand - reserved)` over the run's SKUs; survives its connection being killed. */
class AvailabilitySampler {
  minAvailable: number | null = null;
  samples = 0;
  failedSamples = 0;
  private readonly pool: pg.Pool;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    url: string,
    private readonly skuPrefix: string,
    private readonly everyMs: number,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: 1 });
    this.pool.on("error", () => undefined);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sample().finally(() => {
        this.running = undefined;
      });
    }, this.everyMs);
  }

  private async sample(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ min: number | null }>(
        "select min(on_hand - reserved) as min from products where starts_with(sku, $1)",
        [this.skuPrefix],
      );
      const value = rows[0]?.min;
      if (value !== null && value !== undefined) {
        this.samples++;
        this.minAvailable = this.minAvailable === null ? value : Math.min(this.minAvailable, value);
      }
    } catch {
      this.failedSamples++;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.sample();
    await this.pool.end();
  }
}

/** A Kafka admin that reconnects after the broker went away (it is restarted on purpose). */
class Watcher {
  private admin: Admin | undefined;

  constructor(private readonly kafka: Kafka) {}

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async use<T>(action: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await action(await this.connected());
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}

async function outboxRows(url: string): Promise<number> {
  const [row] = await query<{ n: number }>(url, "select count(*)::int as n from outbox");
  return row?.n ?? 0;
}

async function pendingOrders(url: string, customerPrefix: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    url,
    "select count(*)::int as n from orders where status = 'PENDING' and starts_with(customer_id, $1)",
    [customerPrefix],
  );
  return row?.n ?? 0;
}

/**
 * Caught up: both consumer groups have committed the end of their topic, both outboxes are empty,
 * and the ends did not move while we looked (nothing was being published meanwhile).
 */
async function caughtUp(watcher: Watcher, settings: Settings): Promise<boolean> {
  try {
    const before = await watcher.use((admin) => endOffsets(admin, TOPICS));
    for (const { group, topic } of SAGA_GROUPS) {
      if ((await watcher.use((admin) => groupLag(admin, group, topic))) !== 0n) return false;
    }
    if ((await outboxRows(settings.postgres.orderUrl)) > 0) return false;
    if ((await outboxRows(settings.postgres.inventoryUrl)) > 0) return false;
    const after: Offsets = await watcher.use((admin) => endOffsets(admin, TOPICS));
    return sameOffsets(before, after);
  } catch {
    return false;
  }
}

/** Waits until `condition` held on two checks a second apart; resolves to when it first held, or null. */
async function stablyTrue(condition: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  let since: number | null = null;
  while (Date.now() < deadline) {
    const checkedAt = Date.now();
    if (await condition()) {
      if (since !== null && checkedAt - since >= 1_000) return since;
      since ??= checkedAt;
    } else {
      since = null;
    }
    await sleep(250);
  }
  return null;
}

export async function runFaultHarness(
  settings: Settings,
  config: HarnessConfig,
  log: Log,
  environment: { postgres?: ThrowawayPostgres } = {},
): Promise<HarnessReport> {
  const started = Date.now();
  const seed = config.seed ?? randomInt(1, 2 ** 31 - 1);
  const random = new Random(seed);
  const runTag = randomBytes(4).toString("hex");
  const customerPrefix = `faults-${runTag}-`;
  const skuPrefix = `F${runTag}-`;
  const skus = Array.from({ length: config.skus }, (_, i) => `${skuPrefix}S${i + 1}`);
  const customers = Array.from({ length: config.customers }, (_, i) => `${customerPrefix}c${i + 1}`);
  const admin = `${customerPrefix}admin`;
  const secret = config.jwtSecret ?? randomBytes(32).toString("base64url");
  log(
    `run ${runTag}, seed ${seed}: ${config.orders}+ orders at ${config.ratePerSecond}/s, ${config.minRounds}+ fault rounds`,
  );

  const kafka = new Kafka({
    clientId: `faults-${runTag}`,
    brokers: [...settings.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const watcher = new Watcher(kafka);
  const startOffsets = await watcher.use((a) => endOffsets(a, TOPICS));
  const codec = await EventCodec.connect({ registryUrl: settings.registry.url });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  const serviceEnv = {
    AUTH_JWT_SECRET: secret,
    LOG_LEVEL: config.logLevel ?? "info",
    // PostgreSQL on this kind of machine is shared (max_connections 100): four instances stay small.
    DATABASE_POOL_SIZE: "4",
    SHUTDOWN_TIMEOUT_MS: "20000",
    KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  };
  const cluster =
    !settings.kafka.external && settings.kafka.brokerCount >= 3 ? { java: await findKafkaJava() } : undefined;
  const fleet = await Fleet.create({
    settings,
    logDir: join(settings.stackDir, "faults-logs", runTag),
    instancesPerService: 2,
    readyTimeoutMs: 90_000,
    log,
    env: {
      order: {
        ...serviceEnv,
        ORDER_DECISION_TIMEOUT_MS: String(config.decisionTimeoutMs),
        ORDER_SWEEP_INTERVAL_MS: "500",
      },
      inventory: {
        ...serviceEnv,
        // Long: reservations settle through the saga, never by expiring, so the books must balance exactly.
        RESERVATION_TTL_MS: String(6 * 3_600_000),
        RESERVATION_SWEEP_INTERVAL_MS: "1000",
      },
    },
  });
  const sampler = new AvailabilitySampler(settings.postgres.inventoryUrl, skuPrefix, 300);
  // Interrupted: stop the services this run started before going (they are not detached).
  const interrupted = () => {
    log("interrupted: stopping the services");
    void fleet.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  let load: LoadDriver | undefined;
  let injector: FaultInjector | undefined;
  const violations: Violation[] = [];
  try {
    log(`starting 2 instances of each service (logs in ${join(settings.stackDir, "faults-logs", runTag)})`);
    await fleet.startAll();
    const client = new FleetClient(fleet, secret, random);
    const initialStock = new Map<string, number>();
    for (const sku of skus) {
      const answer = await client.request("inventory", "POST", "/products", {
        as: admin,
        admin: true,
        body: { sku, name: `Fault harness ${sku}`, onHand: config.initialStock },
        repeatable: true,
      });
      if (answer.status !== 201) throw new Error(`creating ${sku}: ${JSON.stringify(answer)}`);
      initialStock.set(sku, config.initialStock);
    }

    sampler.start();
    load = new LoadDriver(client, random, {
      ratePerSecond: config.ratePerSecond,
      maxInFlight: config.maxInFlight,
      skus,
      customers,
      admin,
      restock: config.restock,
      cancelRightAwayShare: config.cancelRightAwayShare,
      cancelAfterConfirmationShare: config.cancelAfterConfirmationShare,
    });
    const driver = load;
    injector = new FaultInjector({
      settings,
      fleet,
      producer,
      codec,
      random,
      log,
      runTag,
      skus,
      gapMs: config.gapMs,
      duplicatesOffAfterRound: config.duplicatesOffAfterRound,
      othersBetweenWaves: config.othersBetweenWaves,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      ...(config.only ? { only: config.only } : {}),
      ...(cluster ? { cluster } : {}),
      ...(environment.postgres ? { postgres: environment.postgres } : {}),
      realOrder: () => {
        const accepted = driver.orders.filter((order) => order.orderId !== undefined);
        const order = accepted.length > 0 ? random.pick(accepted) : undefined;
        return order?.orderId ? { orderId: order.orderId, lines: order.lines } : undefined;
      },
    });
    log("load started");
    load.start();
    const progress = setInterval(() => {
      void (async () => {
        const lags = await Promise.all(
          SAGA_GROUPS.map(({ group, topic }) =>
            watcher
              .use((admin) => groupLag(admin, group, topic))
              .then(
                (lag) => `${topic} lag ${lag}`,
                () => `${topic} lag ?`,
              ),
          ),
        );
        log(
          `  ${driver.orders.length} orders placed, ${driver.accepted} accepted; ${lags.join(", ")}; ` +
            fleet.instances.map((i) => `${i.name} ${i.state}`).join(", "),
        );
      })();
    }, 15_000);
    try {
      const moreRounds = (round: number) =>
        round <= config.minRounds || (config.roundsUntilOrders && driver.orders.length < config.orders);
      for (let round = 1; moreRounds(round); round++) {
        // Each round starts from a whole system: every instance back, then a while without faults.
        await fleet.settled();
        log(`calm: ${config.calmMs / 1000} s of load without faults`);
        await sleep(config.calmMs);
        await injector.round(round);
      }
      while (driver.orders.length < config.orders) await sleep(100);
    } finally {
      clearInterval(progress);
      log("faults stopped; stopping the load");
      await load.stop();
    }
    log(`load stopped: ${load.orders.length} orders placed; waiting until everything has caught up`);
    await fleet.settled();

    const lastFaultAt = injector.lastFaultAt;
    const caughtUpAt = await stablyTrue(() => caughtUp(watcher, settings), config.settleTimeoutMs);
    if (caughtUpAt === null)
      violations.push({ check: "recovery", detail: "consumers or outboxes never caught up" });
    else log(`caught up ${((caughtUpAt - lastFaultAt) / 1000).toFixed(1)} s after the last fault`);
    const settledAt = await stablyTrue(
      async () =>
        (await pendingOrders(settings.postgres.orderUrl, customerPrefix).catch(() => 1)) === 0 &&
        (await caughtUp(watcher, settings)),
      config.settleTimeoutMs + config.decisionTimeoutMs,
    );
    if (settledAt === null)
      violations.push({ check: "recovery", detail: "orders never all final, or never caught up" });
    else
      log(
        `every order final and everything caught up ${((settledAt - lastFaultAt) / 1000).toFixed(1)} s after the last fault`,
      );

    await sampler.stop();
    log("stopping the services; checking databases and topics");
    await fleet.close();
    const verification = await verify({
      kafka,
      codec,
      orderDatabaseUrl: settings.postgres.orderUrl,
      inventoryDatabaseUrl: settings.postgres.inventoryUrl,
      startOffsets,
      customerPrefix,
      skuPrefix,
      initialStock,
      placed: load.orders,
      adjustments: load.adjustments,
      poison: injector.poison,
      runTag,
    });
    violations.push(...verification.violations);
    if (sampler.minAvailable !== null && sampler.minAvailable < 0) {
      violations.push({ check: "available never negative", detail: `sampled ${sampler.minAvailable}` });
    }
    for (const exit of fleet.unexpectedExits) {
      violations.push({
        check: "no instance dies on its own",
        detail: `${exit.instance} exited with code ${exit.code} at +${((exit.at - started) / 1000).toFixed(1)} s`,
      });
    }
    for (const reason of injector.notInjectable)
      violations.push({ check: "every fault injected", detail: reason });
    const faults: Record<string, number> = {};
    for (const fault of injector.faults) {
      const key =
        fault.kind === "sigkill"
          ? `SIGKILL ${fault.detail}`
          : fault.kind === "duplicate-delivery"
            ? `duplicate publishing ${fault.detail.split(":")[0]}`
            : fault.kind;
      faults[key] = (faults[key] ?? 0) + 1;
    }
    for (const poison of injector.poison) {
      const key = `poison ${poison.kind} → ${poison.topic}`;
      faults[key] = (faults[key] ?? 0) + 1;
    }
    const kinds: FaultKind[] = [
      "duplicate-delivery",
      "sigkill",
      "broker-restart",
      "database-connections-killed",
      "poison",
      ...(cluster ? (["leader-kill", "rolling-restart", "broker-down-long"] as const) : []),
      ...(environment.postgres ? (["postgres-restart"] as const) : []),
    ];
    for (const kind of kinds.filter((candidate) => !config.only || config.only.includes(candidate))) {
      if (
        !injector.faults.some((fault) => fault.kind === kind) &&
        !(kind === "broker-restart" && settings.kafka.external)
      ) {
        violations.push({ check: "every fault injected", detail: `${kind} never injected` });
      }
    }
    const accepted = Object.values(verification.ordersByStatus).reduce((sum, n) => sum + n, 0);
    const decisions = await availabilityOf(
      settings.postgres.orderUrl,
      customerPrefix,
      injector.faults,
      { from: load.startedAt, until: load.stoppedAt },
      accepted,
      verification.rejectionReasons.TIMEOUT ?? 0,
    );
    const cancels = load.orders.flatMap((order) => (order.cancel ? [order.cancel] : []));
    return {
      seed,
      runTag,
      brokers: settings.kafka.external ? settings.kafka.brokers.length : settings.kafka.brokerCount,
      postgres: environment.postgres ? "throwaway" : "stack",
      decisions,
      decisionTimeoutMs: config.decisionTimeoutMs,
      leaderMoves: injector.leaderMoves,
      durations: { loadMs: load.stoppedAt - load.startedAt, totalMs: Date.now() - started },
      loadStartedAt: load.startedAt,
      orders: {
        placed: load.orders.length,
        accepted: load.accepted,
        byStatus: verification.ordersByStatus,
        rejectionReasons: verification.rejectionReasons,
      },
      cancellations: {
        requestedRightAway: cancels.filter((cancel) => cancel.when === "right-away").length,
        requestedAfterConfirmation: cancels.filter(
          (cancel) => cancel.when === "after-confirmation" && typeof cancel.outcome === "number",
        ).length,
        ...verification.cancelled,
      },
      adjustments: verification.adjustments,
      faults,
      faultLog: injector.faults,
      poison: injector.poison,
      unexpectedExits: fleet.unexpectedExits,
      instanceStarts: {
        total: fleet.instances.reduce((sum, instance) => sum + instance.starts, 0),
        withDuplicatePublish: fleet.duplicateStarts,
      },
      recovery: {
        caughtUpMs: caughtUpAt === null ? null : caughtUpAt - lastFaultAt,
        settledMs: settledAt === null ? null : settledAt - lastFaultAt,
      },
      deadLettersByReason: verification.deadLettersByReason,
      poisonDeadLetteredAgain: verification.poisonDeadLetteredAgain,
      earlierPoison: verification.earlierPoison,
      topics: verification.topics,
      requests: client.figures,
      throttledTicks: load.throttledTicks,
      availability: {
        minAvailable: sampler.minAvailable,
        samples: sampler.samples,
        failedSamples: sampler.failedSamples,
      },
      stock: verification.stock,
      violations,
    };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await load?.stop().catch(() => undefined);
    await sampler.stop().catch(() => undefined);
    await fleet.close().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await watcher.close();
  }
}
