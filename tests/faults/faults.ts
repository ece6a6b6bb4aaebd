import { setTimeout as sleep } from "node:timers/promises";
import type { EventCodec } from "@stocksaga/contracts";
import {
  clusterStatus,
  down,
  type KafkaNode,
  killBroker,
  type Settings,
  stackTopics,
  startBroker,
  stopBroker,
  up,
} from "@stocksaga/deploy/stack";
import { Kafka, logLevel, type Producer } from "kafkajs";
import pg from "pg";
import type { Fleet, Instance, Log } from "./fleet.js";
import { type Poison, type RealOrder, sendPoison } from "./poison.js";
import type { Random } from "./random.js";
import type { ThrowawayPostgres } from "./throwaway-postgres.js";

export const FAULT_KINDS = [
  "duplicate-delivery",
  "sigkill",
  "broker-restart",
  "database-connections-killed",
  "poison",
  // On a cluster of three brokers:
  "leader-kill",
  "rolling-restart",
  "broker-down-long",
  // On a throwaway PostgreSQL cluster of the run's own:
  "postgres-restart",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Leaderships that moved off a killed broker, and how long until none was left on it. */
export interface LeaderMove {
  broker: number;
  partitions: number;
  movedInMs: number | null;
}

export interface FaultRecord {
  kind: FaultKind;
  detail: string;
  at: number;
  /** How long injecting it took (a broker restart: from stop to answering again). */
  durationMs: number;
}

export interface FaultOptions {
  settings: Settings;
  fleet: Fleet;
  producer: Producer;
  codec: EventCodec;
  random: Random;
  log: Log;
  runTag: string;
  skus: readonly string[];
  /** A real, accepted order of the run (for poison that must name one). */
  realOrder: () => RealOrder | undefined;
  gapMs: readonly [number, number];
  /** Restart instances without the duplicate flag at the end of each round. */
  duplicatesOffAfterRound: boolean;
  /**
   * Inject the other faults while the first wave's instances come back, so the round ends with the
   * second wave (the shortest round); otherwise they fall before, between or after the waves at random.
   */
  othersBetweenWaves: boolean;
  /** The stack runs a cluster of three or more brokers: the Java to restart one with. */
  cluster?: { java: string };
  /** The run's databases live on this cluster, which may be restarted. */
  postgres?: ThrowawayPostgres;
  /** The consumers' session timeout: one broker stays down longer than this. */
  sessionTimeoutMs: number;
  /** Only these kinds (to study one fault); every kind when absent. */
  only?: readonly FaultKind[];
}

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/**
 * Injects faults one after another, in rounds: each round turns on duplicate publishing, then,
 * in random order and at random moments, SIGKILLs every instance once (each comes back — with
 * duplicate publishing), kills every database connection of both services, restarts the broker
 * and sends one poison message of each kind to each consumed topic.
 */
export class FaultInjector {
  readonly faults: FaultRecord[] = [];
  readonly poison: Poison[] = [];
  readonly notInjectable: string[] = [];
  readonly leaderMoves: LeaderMove[] = [];

  constructor(private readonly options: FaultOptions) {
    if (options.settings.kafka.external) {
      this.notInjectable.push("broker-restart: KAFKA_BROKERS points at a broker this stack does not manage");
    }
  }

  /**
   * When the last fault was injected (a broker restart: when the broker answered again). Turning
   * duplicate publishing on or off restarts instances gracefully and is not counted as a fault.
   */
  get lastFaultAt(): number {
    return Math.max(
      0,
      ...this.faults
        .filter((fault) => fault.kind !== "duplicate-delivery")
        .map((fault) => fault.at + fault.durationMs),
    );
  }

  async round(number: number): Promise<void> {
    const { fleet, random, log } = this.options;
    fleet.duplicatePublish = true;
    log(`round ${number}`);
    this.record("duplicate-delivery", "on: instances (re)started from now publish every outbox row twice", 0);

    // SIGKILLs come in two waves, one instance of each service per wave: a killed member holds its
    // partitions until its session times out, so the waves' stalls overlap instead of adding up.
    type Step = { name: string; kind: FaultKind; run: () => Promise<void> };
    const killStep = (instance: Instance): Step => ({
      name: `SIGKILL ${instance.name}`,
      kind: "sigkill",
      run: () => this.kill(instance),
    });
    const firsts = (["order", "inventory"] as const).map((service) => random.pick(fleet.of(service)));
    const waves = [
      random.shuffle(firsts.map(killStep)),
      random.shuffle(fleet.instances.filter((instance) => !firsts.includes(instance)).map(killStep)),
    ];
    const others = random.shuffle<Step>([
      {
        name: "database connections killed",
        kind: "database-connections-killed",
        run: () => this.killDatabaseConnections(),
      },
      { name: "poison", kind: "poison", run: () => this.sendPoison() },
      ...(this.options.settings.kafka.external
        ? []
        : [{ name: "broker restart", kind: "broker-restart" as const, run: () => this.restartBroker() }]),
      ...(this.options.cluster
        ? [
            { name: "leader kill", kind: "leader-kill" as const, run: () => this.killBusiestLeader() },
            { name: "rolling restart", kind: "rolling-restart" as const, run: () => this.rollingRestart() },
            { name: "broker down long", kind: "broker-down-long" as const, run: () => this.brokerDownLong() },
          ]
        : []),
      ...(this.options.postgres
        ? [{ name: "postgres restart", kind: "postgres-restart" as const, run: () => this.restartPostgres() }]
        : []),
    ]);
    const cut = this.options.othersBetweenWaves ? others.length : random.int(0, others.length);
    const plan = [...(waves[0] ?? []), ...others.slice(0, cut), ...(waves[1] ?? []), ...others.slice(cut)];
    const only = this.options.only;
    for (const step of plan.filter((candidate) => !only || only.includes(candidate.kind))) {
      await sleep(random.int(this.options.gapMs[0], this.options.gapMs[1]));
      await step.run();
    }

    if (this.options.duplicatesOffAfterRound) {
      await sleep(random.int(this.options.gapMs[0], this.options.gapMs[1]));
      fleet.duplicatePublish = false;
      const started = Date.now();
      for (const instance of fleet.instances.filter((candidate) => candidate.duplicatePublish)) {
        await this.othersUp(instance);
        await fleet.restartGracefully(instance);
      }
      this.record(
        "duplicate-delivery",
        "off: every instance restarted gracefully without it",
        Date.now() - started,
        started,
      );
    }
  }

  /** Waits until every other instance of the service is up, so the service stays available. */
  private async othersUp(instance: Instance): Promise<void> {
    const others = () => this.options.fleet.of(instance.service).filter((other) => other !== instance);
    while (!others().every((other) => other.state === "up") || instance.state !== "up") await sleep(200);
  }

  private async kill(instance: Instance): Promise<void> {
    await this.othersUp(instance);
    await this.options.fleet.kill(instance);
    this.record("sigkill", instance.name, 0);
  }

  private async killDatabaseConnections(): Promise<void> {
    const { settings } = this.options;
    const names = [
      databaseNameOf(settings.postgres.orderUrl),
      databaseNameOf(settings.postgres.inventoryUrl),
    ];
    // The server of the services' databases, which may not be the stack's (a throwaway cluster).
    const adminUrl = new URL(settings.postgres.orderUrl);
    adminUrl.pathname = "/postgres";
    const client = new pg.Client({ connectionString: adminUrl.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string; terminated: boolean }>(
        `select datname, pg_terminate_backend(pid) as terminated
           from pg_stat_activity where datname = any($1::text[]) and pid <> pg_backend_pid()`,
        [names],
      );
      const terminated = rows.filter((row) => row.terminated).length;
      this.record("database-connections-killed", `${terminated} connections to ${names.join(", ")}`, 0);
    } finally {
      await client.end();
    }
  }

  private async sendPoison(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const sent = await sendPoison(
          this.options.producer,
          this.options.codec,
          this.options.runTag,
          this.options.random.pick(this.options.skus),
          this.options.realOrder(),
        );
        this.poison.push(...sent);
        this.record("poison", `${sent.length} messages: every kind on every consumed topic`, 0);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(1_000);
      }
    }
  }

  private async restartBroker(): Promise<void> {
    const { settings, log } = this.options;
    const started = Date.now();
    const quiet = (line: string) => log(`  stack: ${line}`);
    await down(settings, quiet, ["kafka"]);
    // The broker must come back whatever happens: `up` also checks PostgreSQL, which a shared
    // machine may briefly refuse (too many clients).
    for (let attempt = 1; ; attempt++) {
      try {
        await up(settings, stackTopics, quiet);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        log(
          `  broker restart: up failed (${error instanceof Error ? error.message : String(error)}); retrying`,
        );
        await sleep(2_000);
      }
    }
    this.record("broker-restart", "kafka stopped by pid and started again", Date.now() - started, started);
  }

  private admin() {
    return new Kafka({
      clientId: `faults-${this.options.runTag}-cluster`,
      brokers: [...this.options.settings.kafka.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
    }).admin();
  }

  /** Leader of each partition of the saga topics, `topic/partition` → node id. */
  private async leaders(): Promise<Map<string, number>> {
    const admin = this.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ["order-events", "reservation-events"] });
      return new Map(
        topics.flatMap((topic) =>
          topic.partitions.map(
            (partition) => [`${topic.name}/${partition.partitionId}`, partition.leader] as const,
          ),
        ),
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** The saga partition that grew most over two seconds. */
  private async busiestPartition(): Promise<string> {
    const admin = this.admin();
    await admin.connect();
    try {
      const ends = async () => {
        const out = new Map<string, number>();
        for (const topic of ["order-events", "reservation-events"]) {
          for (const end of await admin.fetchTopicOffsets(topic))
            out.set(`${topic}/${end.partition}`, Number(end.high));
        }
        return out;
      };
      const before = await ends();
      await sleep(2_000);
      const after = await ends();
      let busiest = "order-events/0";
      let most = -1;
      for (const [partition, high] of after) {
        const grew = high - (before.get(partition) ?? 0);
        if (grew > most) [busiest, most] = [partition, grew];
      }
      return busiest;
    } finally {
      await admin.disconnect();
    }
  }

  /** Until every broker is registered again and no partition is under-replicated. */
  private async clusterInSync(timeoutMs = 180_000): Promise<void> {
    const { settings } = this.options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await clusterStatus(settings).catch(() => undefined);
      if (
        status &&
        status.brokers.length === settings.kafka.brokerCount &&
        status.underReplicated.length === 0
      )
        return;
      if (Date.now() > deadline)
        throw new Error(`the cluster was not back in sync after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  }

  private node(nodeId: number): KafkaNode {
    const node = this.options.settings.kafka.nodes.find((candidate) => candidate.nodeId === nodeId);
    if (!node) throw new Error(`no broker ${nodeId}`);
    return node;
  }

  private async startNode(node: KafkaNode): Promise<void> {
    const java = this.options.cluster?.java;
    if (!java) throw new Error("not a cluster the stack runs");
    await startBroker(this.options.settings, node, java, (line) => this.options.log(`  stack: ${line}`));
  }

  /** SIGKILL of the broker leading the busiest partition, then its restart once leaders have moved. */
  private async killBusiestLeader(): Promise<void> {
    await this.clusterInSync();
    const busiest = await this.busiestPartition();
    const before = await this.leaders();
    const node = this.node(before.get(busiest) ?? 1);
    const led = [...before.values()].filter((leader) => leader === node.nodeId).length;
    const started = Date.now();
    await killBroker(this.options.settings, node);
    let movedInMs: number | null = null;
    while (Date.now() - started < 60_000) {
      const now = await this.leaders().catch(() => undefined);
      if (now && ![...now.values()].includes(node.nodeId)) {
        movedInMs = Date.now() - started;
        break;
      }
      await sleep(200);
    }
    this.leaderMoves.push({ broker: node.nodeId, partitions: led, movedInMs });
    await sleep(this.options.random.int(2_000, 6_000));
    await this.startNode(node);
    await this.clusterInSync();
    this.record(
      "leader-kill",
      `broker ${node.nodeId} (leader of ${busiest} and ${led - 1} more) SIGKILLed; leaders moved in ${movedInMs === null ? "never" : `${(movedInMs / 1000).toFixed(1)} s`}; restarted and in sync`,
      Date.now() - started,
      started,
    );
  }

  /** Every broker in turn: SIGTERM (a controlled shutdown), start, wait until back in sync. */
  private async rollingRestart(): Promise<void> {
    const { settings } = this.options;
    await this.clusterInSync();
    const started = Date.now();
    for (const node of settings.kafka.nodes) {
      await stopBroker(settings, node);
      await this.startNode(node);
      await this.clusterInSync();
    }
    this.record(
      "rolling-restart",
      `${settings.kafka.nodes.length} brokers one after another`,
      Date.now() - started,
      started,
    );
  }

  /** One broker stopped for longer than a consumer's session, then started again. */
  private async brokerDownLong(): Promise<void> {
    const { settings, random, sessionTimeoutMs } = this.options;
    await this.clusterInSync();
    const node = random.pick(settings.kafka.nodes);
    const started = Date.now();
    await stopBroker(settings, node);
    const downMs = sessionTimeoutMs + random.int(2_000, 6_000);
    await sleep(downMs);
    await this.startNode(node);
    await this.clusterInSync();
    this.record(
      "broker-down-long",
      `broker ${node.nodeId} down ${(downMs / 1000).toFixed(1)} s (session ${sessionTimeoutMs / 1000} s), then in sync`,
      Date.now() - started,
      started,
    );
  }

  /** `pg_ctl restart -m fast` of the run's own PostgreSQL while the load runs. */
  private async restartPostgres(): Promise<void> {
    const postgres = this.options.postgres;
    if (!postgres) throw new Error("no throwaway PostgreSQL");
    const started = Date.now();
    await postgres.restart();
    this.record(
      "postgres-restart",
      `pg_ctl restart -m fast on port ${postgres.port}`,
      Date.now() - started,
      started,
    );
  }

  private record(kind: FaultKind, detail: string, durationMs: number, at = Date.now()): void {
    this.faults.push({ kind, detail, at, durationMs });
    this.options.log(`fault: ${kind} ${detail}`);
  }
}
