import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureKafkaLibs, ensureRegistryDist } from "./artifacts.js";
import {
  ensureTopics,
  kafkaAnswers,
  kafkaProcess,
  startKafka,
  type TopicSpec,
  waitForKafka,
} from "./kafka.js";
import { withStackLock } from "./lock.js";
import { databaseName, dropDatabase, ensureDatabase, postgresAnswers } from "./postgres.js";
import { isPortFree, type ManagedProcess, runningPid, stopProcess } from "./processes.js";
import { registryAnswers, registryProcess, startRegistry, waitForRegistry } from "./registry.js";
import type { Settings } from "./settings.js";

export type Log = (line: string) => void;

export class StackError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly logFile?: string,
  ) {
    super(`${component}: ${message}${logFile ? `\n  see ${logFile}` : ""}`);
    this.name = "StackError";
  }
}

export interface UpResult {
  /** Components this call started (and that `down` would stop). */
  started: string[];
}

function adminUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

async function assertPortsFree(component: string, ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(port))) {
      throw new StackError(
        component,
        `port ${port} on 127.0.0.1 is already taken by another process; stop it, or point the services at existing infrastructure (see README, Configuration)`,
      );
    }
  }
}

async function bringUp(
  component: string,
  proc: ManagedProcess,
  options: {
    prepare: () => Promise<void>;
    start: () => Promise<number>;
    ready: (alive: () => boolean) => Promise<void>;
    timeoutMs: number;
  },
  log: Log,
): Promise<boolean> {
  if (runningPid(proc) !== undefined) {
    try {
      await options.ready(() => runningPid(proc) !== undefined);
    } catch (error) {
      throw new StackError(
        component,
        `running (pid ${runningPid(proc)}) but not ready: ${String(error)}`,
        proc.logFile,
      );
    }
    log(`${component}: already running (pid ${runningPid(proc)})`);
    return false;
  }
  await options.prepare();
  const pid = await options.start();
  log(`${component}: started (pid ${pid}), waiting until it answers`);
  const startedAt = Date.now();
  try {
    await options.ready(() => runningPid(proc) !== undefined);
  } catch (error) {
    await stopProcess(proc);
    throw new StackError(component, error instanceof Error ? error.message : String(error), proc.logFile);
  }
  log(`${component}: ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return true;
}

export async function up(settings: Settings, topics: readonly TopicSpec[], log: Log): Promise<UpResult> {
  return withStackLock(settings.lockDir, settings.readyTimeoutMs * 2, async () => {
    const started: string[] = [];
    for (const url of [settings.postgres.orderUrl, settings.postgres.inventoryUrl]) {
      const adminUrl = adminUrlFor(url);
      if (!(await postgresAnswers(adminUrl))) {
        throw new StackError(
          "postgres",
          `no PostgreSQL answers at ${new URL(url).host}; start it (README, Prerequisites) or set ORDER_DATABASE_URL / INVENTORY_DATABASE_URL`,
        );
      }
      if (await ensureDatabase(adminUrl, databaseName(url)))
        log(`postgres: created database ${databaseName(url)}`);
    }
    log("postgres: ready");

    // Fail fast, before starting anything, when a port we need belongs to someone else.
    if (!settings.kafka.external && runningPid(kafkaProcess(settings)) === undefined) {
      await assertPortsFree("kafka", [settings.kafka.port, settings.kafka.controllerPort]);
    }
    if (!settings.registry.external && runningPid(registryProcess(settings)) === undefined) {
      await assertPortsFree("registry", [settings.registry.port, settings.registry.managementPort]);
    }

    const tasks: Promise<void>[] = [];
    if (settings.kafka.external) {
      tasks.push(
        waitForKafka(settings, 15_000)
          .then(() => log(`kafka: external at ${settings.kafka.brokers.join(",")}, answering`))
          .catch((error) => {
            throw new StackError("kafka", `external broker does not answer: ${String(error)}`);
          }),
      );
    } else {
      tasks.push(
        bringUp(
          "kafka",
          kafkaProcess(settings),
          {
            prepare: () => ensureKafkaLibs(settings, log),
            start: () => startKafka(settings, log),
            ready: (alive) => waitForKafka(settings, settings.readyTimeoutMs, alive),
            timeoutMs: settings.readyTimeoutMs,
          },
          log,
        ).then((didStart) => {
          if (didStart) started.push("kafka");
        }),
      );
    }
    if (settings.registry.external) {
      tasks.push(
        registryAnswers(settings).then((answers) => {
          if (!answers)
            throw new StackError("registry", `external registry at ${settings.registry.url} does not answer`);
          log(`registry: external at ${settings.registry.url}, answering`);
        }),
      );
    } else {
      tasks.push(
        bringUp(
          "registry",
          registryProcess(settings),
          {
            prepare: async () => {
              await ensureRegistryDist(settings, log);
              await ensureDatabase(settings.postgres.adminUrl, settings.registry.databaseName);
            },
            start: () => startRegistry(settings),
            ready: (alive) => waitForRegistry(settings, settings.readyTimeoutMs, alive),
            timeoutMs: settings.readyTimeoutMs,
          },
          log,
        ).then((didStart) => {
          if (didStart) started.push("registry");
        }),
      );
    }
    const outcomes = await Promise.allSettled(tasks);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failure) {
      // Leave the machine as we found it: stop what this call started.
      if (started.includes("registry")) await stopProcess(registryProcess(settings));
      if (started.includes("kafka")) await stopProcess(kafkaProcess(settings));
      throw failure.reason;
    }

    const created = await ensureTopics(settings, topics);
    if (created.length > 0) log(`kafka: created topics ${created.join(", ")}`);
    return { started };
  });
}

export async function down(settings: Settings, log: Log, only?: readonly string[]): Promise<void> {
  await withStackLock(settings.lockDir, settings.readyTimeoutMs, async () => {
    const procs = [registryProcess(settings), kafkaProcess(settings)].filter(
      (p) => !only || only.includes(p.name),
    );
    for (const proc of procs) {
      const pid = runningPid(proc);
      const outcome = await stopProcess(proc);
      log(`${proc.name}: ${outcome === "stopped" ? `stopped (pid ${pid})` : "not running"}`);
    }
  });
}

export interface ComponentStatus {
  component: string;
  mode: "local" | "external";
  pid?: number;
  answering: boolean;
  logFile?: string;
}

export async function status(settings: Settings): Promise<ComponentStatus[]> {
  const kafka = kafkaProcess(settings);
  const registry = registryProcess(settings);
  const kafkaPid = runningPid(kafka);
  const registryPid = runningPid(registry);
  return [
    {
      component: "postgres",
      mode: "external",
      answering: await postgresAnswers(adminUrlFor(settings.postgres.orderUrl)),
    },
    {
      component: "kafka",
      mode: settings.kafka.external ? "external" : "local",
      ...(kafkaPid ? { pid: kafkaPid } : {}),
      answering: await kafkaAnswers(settings),
      logFile: join(settings.kafka.dir, "kafka.log"),
    },
    {
      component: "registry",
      mode: settings.registry.external ? "external" : "local",
      ...(registryPid ? { pid: registryPid } : {}),
      answering: await registryAnswers(settings),
      logFile: registry.logFile,
    },
  ];
}

/** Wipes Kafka data, the registry's database and the logs together, so schema ids never outlive topics. */
export async function reset(settings: Settings, log: Log): Promise<void> {
  await down(settings, log);
  if (!settings.registry.external) {
    await dropDatabase(settings.postgres.adminUrl, settings.registry.databaseName).catch((error: unknown) =>
      log(`registry: could not drop database ${settings.registry.databaseName}: ${String(error)}`),
    );
  }
  if (existsSync(settings.stackDir)) {
    for (const entry of readdirSync(settings.stackDir)) {
      if (entry === "lock") continue;
      rmSync(join(settings.stackDir, entry), { recursive: true, force: true });
    }
  }
  log(`reset: removed ${settings.stackDir} and the registry database`);
}
