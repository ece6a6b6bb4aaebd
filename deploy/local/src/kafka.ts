import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { replicationFor, type TopicCreation } from "@stocksaga/contracts";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { type ManagedProcess, runningPid, startDetached, stopProcess, waitFor } from "./processes.js";
import type { Settings } from "./settings.js";

const run = promisify(execFile);

export type { TopicCreation };

export type KafkaNode = Settings["kafka"]["nodes"][number];

/** One broker alone keeps the layout it always had; in a cluster each node has a folder of its own. */
function nodeDir(settings: Settings, node: KafkaNode): string {
  return settings.kafka.brokerCount === 1
    ? settings.kafka.dir
    : join(settings.kafka.dir, `broker-${node.nodeId}`);
}

export function brokerProcess(settings: Settings, node: KafkaNode): ManagedProcess {
  const dir = nodeDir(settings, node);
  const single = settings.kafka.brokerCount === 1;
  return {
    name: single ? "kafka" : `kafka-${node.nodeId}`,
    pidFile: join(dir, "kafka.pid"),
    marker: single ? `-Dstocksaga.stack=${settings.stackDir}/kafka` : `-Dstocksaga.stack=${dir}/`,
    // Kafka's log4j writes to stdout, which goes here with anything the JVM itself prints.
    logFile: join(dir, "kafka.log"),
  };
}

export function kafkaProcesses(settings: Settings): ManagedProcess[] {
  return settings.kafka.nodes.map((node) => brokerProcess(settings, node));
}

export function kafkaNode(settings: Settings, nodeId: number): KafkaNode {
  const node = settings.kafka.nodes.find((candidate) => candidate.nodeId === nodeId);
  if (!node) throw new Error(`no Kafka node ${nodeId} in a cluster of ${settings.kafka.brokerCount}`);
  return node;
}

/**
 * Every node is broker and controller at once (KRaft combined mode): three processes instead of
 * six on a two-core machine, and a quorum of three still survives one node down. Production
 * clusters beyond a few brokers separate the controllers; nothing in the services depends on it.
 */
function serverProperties(settings: Settings, node: KafkaNode): string {
  const { replicationFactor, minInSyncReplicas } = replicationFor(settings.kafka.brokerCount);
  const voters = settings.kafka.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(",");
  return [
    "# Written by deploy/local on every start; edit deploy/local/src/kafka.ts instead.",
    "process.roles=broker,controller",
    `node.id=${node.nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${join(nodeDir(settings, node), "data")}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    `default.replication.factor=${replicationFactor}`,
    `min.insync.replicas=${minInSyncReplicas}`,
    `offsets.topic.replication.factor=${replicationFactor}`,
    "offsets.topic.num.partitions=6",
    `transaction.state.log.replication.factor=${replicationFactor}`,
    `transaction.state.log.min.isr=${minInSyncReplicas}`,
    "group.initial.rebalance.delay.ms=0",
    // A killed broker leads partitions until the controller fences it: 4 s instead of 9 s, so
    // leaders move well inside the saga's decision deadline (a graceful stop moves them at once).
    "broker.session.timeout.ms=4000",
    "broker.heartbeat.interval.ms=1000",
    "log.retention.hours=168",
    "",
  ].join("\n");
}

function log4jProperties(): string {
  return [
    "status = warn",
    "appender.stdout.type = Console",
    "appender.stdout.name = STDOUT",
    "appender.stdout.layout.type = PatternLayout",
    "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
    "rootLogger.level = INFO",
    "rootLogger.appenderRef.stdout.ref = STDOUT",
    "logger.kafka.name = kafka",
    "logger.kafka.level = INFO",
    "logger.state.name = state.change.logger",
    "logger.state.level = WARN",
    "",
  ].join("\n");
}

/** The cluster id every node is formatted with: made once, kept beside the nodes' folders. */
async function clusterId(settings: Settings, java: string, classpath: string): Promise<string> {
  const file = join(settings.kafka.dir, "cluster-id");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const { stdout } = await run(java, ["-cp", classpath, "kafka.tools.StorageTool", "random-uuid"]);
  mkdirSync(settings.kafka.dir, { recursive: true });
  writeFileSync(file, `${stdout.trim()}\n`);
  return stdout.trim();
}

/** Starts one node (formatting its storage the first time); resolves to its pid, before it answers. */
export async function startBroker(
  settings: Settings,
  node: KafkaNode,
  java: string,
  log: (line: string) => void,
): Promise<number> {
  const { libDir, heap } = settings.kafka;
  const dir = nodeDir(settings, node);
  mkdirSync(join(dir, "data"), { recursive: true });
  const propertiesFile = join(dir, "server.properties");
  const log4jFile = join(dir, "log4j2.properties");
  writeFileSync(propertiesFile, serverProperties(settings, node));
  writeFileSync(log4jFile, log4jProperties());
  const classpath = `${libDir}/*`;
  const javaOptions = [`-Dlog4j2.configurationFile=${log4jFile}`];

  if (!existsSync(join(dir, "data", "meta.properties"))) {
    const id = await clusterId(settings, java, classpath);
    await run(java, [
      ...javaOptions,
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      "--cluster-id",
      id,
      "--config",
      propertiesFile,
      "--ignore-formatted",
    ]);
    log(`${brokerProcess(settings, node).name}: formatted storage of KRaft cluster ${id}`);
  }

  const proc = brokerProcess(settings, node);
  return startDetached(
    proc,
    java,
    [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      proc.marker,
      ...javaOptions,
      "-cp",
      classpath,
      "kafka.Kafka",
      propertiesFile,
    ],
    { cwd: dir },
  );
}

/** Starts every node that is not running; resolves to the pids started. */
export async function startKafka(
  settings: Settings,
  java: string,
  log: (line: string) => void,
): Promise<number[]> {
  const pids: number[] = [];
  for (const node of settings.kafka.nodes) {
    if (runningPid(brokerProcess(settings, node)) === undefined)
      pids.push(await startBroker(settings, node, java, log));
  }
  return pids;
}

/** SIGTERM (a controlled shutdown: its leaderships move first), SIGKILL after the grace period. */
export async function stopBroker(settings: Settings, node: KafkaNode): Promise<"stopped" | "not running"> {
  return stopProcess(brokerProcess(settings, node));
}

/** SIGKILL: a broker crash, with no controlled shutdown; resolves once the process is gone. */
export async function killBroker(settings: Settings, node: KafkaNode): Promise<boolean> {
  const proc = brokerProcess(settings, node);
  const pid = runningPid(proc);
  if (pid === undefined) return false;
  process.kill(pid, "SIGKILL");
  while (runningPid(proc) !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  return true;
}

function admin(settings: Settings) {
  return new Kafka({
    clientId: "stocksaga-stack",
    brokers: [...settings.kafka.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
}

/**
 * Ready means the cluster answers a metadata request, reports a controller and, when the stack
 * runs it, has every one of its brokers registered.
 */
export async function waitForKafka(
  settings: Settings,
  timeoutMs: number,
  alive?: () => boolean,
): Promise<void> {
  const expected = settings.kafka.external ? 1 : settings.kafka.brokerCount;
  await waitFor(
    `kafka at ${settings.kafka.brokers.join(",")}`,
    async () => {
      const client = admin(settings);
      try {
        await client.connect();
        const cluster = await client.describeCluster();
        return cluster.brokers.length >= expected && cluster.controller !== null ? true : undefined;
      } finally {
        await client.disconnect();
      }
    },
    { timeoutMs, ...(alive ? { alive } : {}) },
  );
}

export async function kafkaAnswers(settings: Settings): Promise<boolean> {
  try {
    await waitForKafka(settings, 3_000);
    return true;
  } catch {
    return false;
  }
}

export interface ClusterStatus {
  brokers: { nodeId: number; address: string }[];
  controller: number | null;
  /** `topic/partition` whose in-sync replicas are fewer than its replicas. */
  underReplicated: string[];
  /** `topic/partition` without a leader: no writes, no reads. */
  offline: string[];
  /** Topic → replication factor and min.insync.replicas as the cluster reports them. */
  topics: Record<string, { partitions: number; replicationFactor: number; minInSyncReplicas: string }>;
}

/** What the cluster says about itself: brokers registered, the active controller, lagging partitions. */
export async function clusterStatus(settings: Settings): Promise<ClusterStatus> {
  const client = admin(settings);
  await client.connect();
  try {
    const cluster = await client.describeCluster();
    const names = (await client.listTopics()).filter((name) => !name.startsWith("__"));
    const { topics } = await client.fetchTopicMetadata({ topics: names });
    const configs =
      names.length === 0
        ? { resources: [] }
        : await client.describeConfigs({
            includeSynonyms: false,
            resources: names.map((name) => ({ type: 2, name, configNames: ["min.insync.replicas"] })),
          });
    const underReplicated: string[] = [];
    const offline: string[] = [];
    const byTopic: ClusterStatus["topics"] = {};
    for (const topic of topics) {
      for (const partition of topic.partitions) {
        const id = `${topic.name}/${partition.partitionId}`;
        if (partition.isr.length < partition.replicas.length) underReplicated.push(id);
        if (partition.leader < 0) offline.push(id);
      }
      const minIsr = configs.resources
        .find((resource) => resource.resourceName === topic.name)
        ?.configEntries.find((entry) => entry.configName === "min.insync.replicas")?.configValue;
      byTopic[topic.name] = {
        partitions: topic.partitions.length,
        replicationFactor: Math.max(0, ...topic.partitions.map((partition) => partition.replicas.length)),
        minInSyncReplicas: minIsr ?? "?",
      };
    }
    return {
      brokers: cluster.brokers
        .map((broker) => ({ nodeId: broker.nodeId, address: `${broker.host}:${broker.port}` }))
        .sort((a, b) => a.nodeId - b.nodeId),
      controller: cluster.controller,
      underReplicated,
      offline,
      topics: byTopic,
    };
  } finally {
    await client.disconnect();
  }
}

/** Topics are created up front: auto-creation is off, and kafkajs mishandles it under KRaft. */
export async function ensureTopics(settings: Settings, topics: readonly TopicCreation[]): Promise<string[]> {
  const client = admin(settings);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await client.createTopics({
        waitForLeaders: false,
        topics: missing.map(({ topic, numPartitions, replicationFactor, configEntries }) => ({
          topic,
          numPartitions,
          replicationFactor,
          configEntries,
        })),
      });
      await waitForLeaders(
        client,
        missing.map((t) => t.topic),
        settings.readyTimeoutMs,
      );
    }
    return missing.map((t) => t.topic);
  } finally {
    await client.disconnect();
  }
}

/**
 * Every partition of `topics` has a leader. kafkajs's own wait (`waitForLeaders`) gives up when the
 * broker it asks has not heard of a topic yet (UNKNOWN_TOPIC_OR_PARTITION), which a new cluster of
 * three answers for a moment after the controller created it.
 */
async function waitForLeaders(client: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const metadata = await client.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (metadata.topics.length === topics.length && led) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(
    `the topics ${topics.join(", ")} had no leader for every partition after ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ""}`,
  );
}

export function kafkaIsOurs(settings: Settings): boolean {
  return kafkaProcesses(settings).some((proc) => runningPid(proc) !== undefined);
}
