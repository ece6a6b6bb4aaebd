import { setTimeout as sleep } from "node:timers/promises";
import type { EventCodec } from "@stocksaga/contracts";
import { down, type Settings, stackTopics, up } from "@stocksaga/deploy/stack";
import type { Producer } from "kafkajs";
import pg from "pg";
import type { Fleet, Instance, Log } from "./fleet.js";
import { type Poison, type RealOrder, sendPoison } from "./poison.js";
import type { Random } from "./random.js";

export type FaultKind =
  | "duplicate-delivery"
  | "sigkill"
  | "broker-restart"
  | "database-connections-killed"
  | "poison";

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
    type Step = { name: string; run: () => Promise<void> };
    const killStep = (instance: Instance): Step => ({
      name: `SIGKILL ${instance.name}`,
      run: () => this.kill(instance),
    });
    const firsts = (["order", "inventory"] as const).map((service) => random.pick(fleet.of(service)));
    const waves = [
      random.shuffle(firsts.map(killStep)),
      random.shuffle(fleet.instances.filter((instance) => !firsts.includes(instance)).map(killStep)),
    ];
    const others = random.shuffle<Step>([
      { name: "database connections killed", run: () => this.killDatabaseConnections() },
      { name: "poison", run: () => this.sendPoison() },
      ...(this.options.settings.kafka.external
        ? []
        : [{ name: "broker restart", run: () => this.restartBroker() }]),
    ]);
    const cut = this.options.othersBetweenWaves ? others.length : random.int(0, others.length);
    const plan = [...(waves[0] ?? []), ...others.slice(0, cut), ...(waves[1] ?? []), ...others.slice(cut)];
    for (const step of plan) {
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
    const client = new pg.Client({ connectionString: settings.postgres.adminUrl });
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

  private record(kind: FaultKind, detail: string, durationMs: number, at = Date.now()): void {
    this.faults.push({ kind, detail, at, durationMs });
    this.options.log(`fault: ${kind} ${detail}`);
  }
}
