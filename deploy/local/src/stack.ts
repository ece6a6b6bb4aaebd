import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  assertMavenRuns,
  ensureKafkaLibs,
  ensureRegistryDist,
  kafkaLibsPresent,
  registryDistPresent,
} from "./artifacts.js";
import { MissingPrerequisite, StackError } from "./failure.js";
import { findKafkaJava, findRegistryJava } from "./java.js";
import {
  brokerProcess,
  type ClusterStatus,
  clusterStatus,
  ensureTopics,
  kafkaAnswers,
  kafkaProcesses,
  startKafka,
  type TopicCreation,
  waitForKafka,
} from "./kafka.js";
import { withStackLock } from "./lock.js";
import { databaseName, dropDatabase, ensureDatabase, postgresAnswers } from "./postgres.js";
import { isPortFree, type ManagedProcess, runningPid, stopProcess } from "./processes.js";
import { registryAnswers, registryProcess, startRegistry, waitForRegistry } from "./registry.js";
import type { Settings } from "./settings.js";

export type Log = (line: string) => void;

export { MissingPrerequisite, StackError };

export interface UpResult {
  /** Components this call started (and that `down` would stop). */
  started: string[];
}

function adminUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

async function assertPortsFree(
  component: string,
  ports: readonly { port: number; variable: string }[],
): Promise<void> {
  for (const { port, variable } of ports) {
    if (!(await isPortFree(port))) {
      throw new MissingPrerequisite(
        component,
        `port ${port} on 127.0.0.1 is taken by another process; stop that process or set ${variable} to a free port`,
      );
    }
  }
}

async function asStackError<T>(component: string, logFile: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError(component, error instanceof Error ? error.message : String(error), logFile);
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
  const pid = await asStackError(component, proc.logFile, async () => {
    await options.prepare();
    return options.start();
  });
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

/** The brokers as one component: "running" when every node is, stopped all at once. */
function kafkaGroup(settings: Settings): ManagedProcess & { stop: () => Promise<void> } {
  const procs = kafkaProcesses(settings);
  const first = procs[0];
  if (!first) throw new Error("no Kafka node configured");
  return {
    ...first,
    name: "kafka",
    stop: () =>
      stopKafkaNodes(
        settings,
        procs,
        async (proc) => void (await stopProcess(proc)),
        () => undefined,
      ),
  };
}

function kafkaRunning(settings: Settings): boolean {
  return kafkaProcesses(settings).every((proc) => runningPid(proc) !== undefined);
}

export async function up(settings: Settings, topics: readonly TopicCreation[], log: Log): Promise<UpResult> {
  return withStackLock(settings.lockDir, settings.readyTimeoutMs * 2, async () => {
    const started: string[] = [];
    for (const url of [settings.postgres.orderUrl, settings.postgres.inventoryUrl]) {
      const adminUrl = adminUrlFor(url);
      if (!(await postgresAnswers(adminUrl))) {
        throw new MissingPrerequisite(
          "postgres",
          `no PostgreSQL answers at ${new URL(url).host} (from ${url === settings.postgres.orderUrl ? "ORDER_DATABASE_URL" : "INVENTORY_DATABASE_URL"}); start PostgreSQL 13+ there (apt-get install postgresql) or point the variable at one`,
        );
      }
      if (await ensureDatabase(adminUrl, databaseName(url)))
        log(`postgres: created database ${databaseName(url)}`);
    }
    log("postgres: ready");

    // Every prerequisite is checked before anything starts, so a failure leaves nothing behind.
    const startKafkaHere = !settings.kafka.external && !kafkaRunning(settings);
    const startRegistryHere =
      !settings.registry.external && runningPid(registryProcess(settings)) === undefined;
    const kafkaJava = startKafkaHere ? await findKafkaJava() : "java";
    const registryJava = startRegistryHere ? await findRegistryJava(settings.registry.java) : "java";
    if (startKafkaHere) {
      await assertPortsFree(
        "kafka",
        settings.kafka.nodes
          .filter((node) => runningPid(brokerProcess(settings, node)) === undefined)
          .flatMap((node) => [
            { port: node.port, variable: "STOCKSAGA_KAFKA_PORT" },
            { port: node.controllerPort, variable: "STOCKSAGA_KAFKA_CONTROLLER_PORT" },
          ]),
      );
      if (!kafkaLibsPresent(settings)) await assertMavenRuns("kafka");
    }
    if (startRegistryHere) {
      await assertPortsFree("registry", [
        { port: settings.registry.port, variable: "STOCKSAGA_REGISTRY_PORT" },
        { port: settings.registry.managementPort, variable: "STOCKSAGA_REGISTRY_MANAGEMENT_PORT" },
      ]);
      if (!registryDistPresent(settings)) await assertMavenRuns("registry");
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
          kafkaGroup(settings),
          {
            prepare: () => ensureKafkaLibs(settings, log),
            start: async () => (await startKafka(settings, kafkaJava, log))[0] ?? 0,
            ready: () => waitForKafka(settings, settings.readyTimeoutMs, () => kafkaRunning(settings)),
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
            start: () => startRegistry(settings, registryJava),
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
      if (started.includes("kafka")) await kafkaGroup(settings).stop();
      throw failure.reason;
    }

    try {
      const created = await ensureTopics(settings, topics);
      if (created.length > 0) log(`kafka: created topics ${created.join(", ")}`);
    } catch (error) {
      if (started.includes("registry")) await stopProcess(registryProcess(settings));
      if (started.includes("kafka")) await kafkaGroup(settings).stop();
      throw new StackError("kafka", `could not create the topics: ${String(error)}`);
    }
    return { started };
  });
}

/** Once most of a cluster's nodes are gone, how long the others may still take to stop by themselves. */
const WITHOUT_QUORUM_GRACE_MS = 2_000;

/**
 * The brokers all at once: each node is also a controller, and a broker's controlled shutdown
 * needs the controller quorum's approval. A node still shutting down once a majority of the nodes
 * has stopped waits for a quorum that cannot come back: it gets `WITHOUT_QUORUM_GRACE_MS`, then
 * SIGKILL (its partitions' data is on the nodes that stopped cleanly, and it recovers its logs on
 * the next start). Stopping one node of a running cluster never loses the quorum.
 */
async function stopKafkaNodes(
  settings: Settings,
  procs: readonly ManagedProcess[],
  stop: (proc: ManagedProcess) => Promise<void>,
  log: Log,
): Promise<void> {
  const nodes = kafkaProcesses(settings);
  let quorumLostAt: number | undefined;
  const killed = new Set<string>();
  const watch = setInterval(() => {
    const running = nodes.filter((node) => runningPid(node) !== undefined);
    if (nodes.length - running.length <= nodes.length / 2) return;
    quorumLostAt ??= Date.now();
    if (Date.now() - quorumLostAt < WITHOUT_QUORUM_GRACE_MS) return;
    for (const proc of procs) {
      const pid = runningPid(proc);
      if (pid === undefined || killed.has(proc.name)) continue;
      killed.add(proc.name);
      log(`${proc.name}: no controller quorum left to approve its controlled shutdown; killing it`);
      process.kill(pid, "SIGKILL");
    }
  }, 200);
  try {
    await Promise.all(procs.map(stop));
  } finally {
    clearInterval(watch);
  }
}

export async function down(settings: Settings, log: Log, only?: readonly string[]): Promise<void> {
  await withStackLock(settings.lockDir, settings.readyTimeoutMs, async () => {
    // `only: ["kafka"]` stops every broker; `kafka-2` one of a cluster.
    const procs = [registryProcess(settings), ...kafkaProcesses(settings)].filter(
      (p) => !only || only.includes(p.name) || (only.includes("kafka") && p.name.startsWith("kafka")),
    );
    const stop = async (proc: ManagedProcess) => {
      const pid = runningPid(proc);
      const outcome = await stopProcess(proc);
      log(`${proc.name}: ${outcome === "stopped" ? `stopped (pid ${pid})` : "not running"}`);
    };
    for (const proc of procs.filter((p) => !p.name.startsWith("kafka"))) await stop(proc);
    await stopKafkaNodes(
      settings,
      procs.filter((p) => p.name.startsWith("kafka")),
      stop,
      log,
    );
  });
}

export interface ComponentStatus {
  component: string;
  mode: "local" | "external";
  pid?: number;
  answering: boolean;
  logFile?: string;
  /** More about it on lines of their own (the brokers of a cluster, its controller). */
  details?: string[];
}

function describeCluster(cluster: ClusterStatus, settings: Settings): string[] {
  const lines = cluster.brokers.map(
    (broker) =>
      `broker ${broker.nodeId} at ${broker.address}${broker.nodeId === cluster.controller ? " (active controller)" : ""}`,
  );
  const registered = new Set(cluster.brokers.map((broker) => broker.nodeId));
  if (!settings.kafka.external) {
    for (const node of settings.kafka.nodes) {
      if (!registered.has(node.nodeId))
        lines.push(`broker ${node.nodeId} at 127.0.0.1:${node.port} NOT REGISTERED`);
    }
  }
  lines.push(`active controller: ${cluster.controller ?? "none"}`);
  lines.push(
    `under-replicated partitions: ${cluster.underReplicated.length}${cluster.underReplicated.length > 0 ? ` (${cluster.underReplicated.slice(0, 10).join(", ")})` : ""}`,
  );
  if (cluster.offline.length > 0) lines.push(`OFFLINE partitions: ${cluster.offline.join(", ")}`);
  for (const [topic, figures] of Object.entries(cluster.topics).sort()) {
    lines.push(
      `topic ${topic}: ${figures.partitions} partitions, replication ${figures.replicationFactor}, min.insync.replicas ${figures.minInSyncReplicas}`,
    );
  }
  return lines;
}

export async function status(settings: Settings): Promise<ComponentStatus[]> {
  const registry = registryProcess(settings);
  const registryPid = runningPid(registry);
  const kafkaAnswering = await kafkaAnswers(settings);
  const cluster = kafkaAnswering ? await clusterStatus(settings).catch(() => undefined) : undefined;
  const brokers: ComponentStatus[] = settings.kafka.external
    ? [{ component: "kafka", mode: "external", answering: kafkaAnswering }]
    : settings.kafka.nodes.map((node) => {
        const proc = brokerProcess(settings, node);
        const pid = runningPid(proc);
        return {
          component: proc.name,
          mode: "local",
          ...(pid ? { pid } : {}),
          answering: cluster?.brokers.some((broker) => broker.nodeId === node.nodeId) ?? false,
          logFile: proc.logFile,
        };
      });
  const last = brokers.at(-1);
  if (last) last.details = cluster ? describeCluster(cluster, settings) : ["the cluster does not answer"];
  return [
    {
      component: "postgres",
      mode: "external",
      answering: await postgresAnswers(adminUrlFor(settings.postgres.orderUrl)),
    },
    ...brokers,
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
