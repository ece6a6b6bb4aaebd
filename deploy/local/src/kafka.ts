import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { type ManagedProcess, runningPid, startDetached, waitFor } from "./processes.js";
import type { Settings } from "./settings.js";

const run = promisify(execFile);

export interface TopicSpec {
  topic: string;
  partitions: number;
}

export function kafkaProcess(settings: Settings): ManagedProcess {
  return {
    name: "kafka",
    pidFile: join(settings.kafka.dir, "kafka.pid"),
    marker: `-Dstocksaga.stack=${settings.stackDir}/kafka`,
    // Kafka's log4j writes to stdout, which goes here with anything the JVM itself prints.
    logFile: join(settings.kafka.dir, "kafka.log"),
  };
}

function serverProperties(settings: Settings): string {
  const { port, controllerPort, dir } = settings.kafka;
  return [
    "# Written by deploy/local on every start; edit deploy/local/src/kafka.ts instead.",
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${join(dir, "data")}`,
    "num.partitions=3",
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=6",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
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

export async function startKafka(
  settings: Settings,
  java: string,
  log: (line: string) => void,
): Promise<number> {
  const { dir, libDir, heap } = settings.kafka;
  mkdirSync(join(dir, "data"), { recursive: true });
  const propertiesFile = join(dir, "server.properties");
  const log4jFile = join(dir, "log4j2.properties");
  writeFileSync(propertiesFile, serverProperties(settings));
  writeFileSync(log4jFile, log4jProperties());
  const classpath = `${libDir}/*`;
  const javaOptions = [`-Dlog4j2.configurationFile=${log4jFile}`];

  if (!existsSync(join(dir, "data", "meta.properties"))) {
    const { stdout: clusterId } = await run(java, [
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "random-uuid",
    ]);
    await run(java, [
      ...javaOptions,
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      "--cluster-id",
      clusterId.trim(),
      "--config",
      propertiesFile,
      "--ignore-formatted",
    ]);
    log(`kafka: formatted a new KRaft cluster ${clusterId.trim()}`);
  }

  return startDetached(
    kafkaProcess(settings),
    java,
    [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      kafkaProcess(settings).marker,
      ...javaOptions,
      "-cp",
      classpath,
      "kafka.Kafka",
      propertiesFile,
    ],
    { cwd: dir },
  );
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

/** Ready means the broker answers a metadata request and reports a controller. */
export async function waitForKafka(
  settings: Settings,
  timeoutMs: number,
  alive?: () => boolean,
): Promise<void> {
  await waitFor(
    `kafka at ${settings.kafka.brokers.join(",")}`,
    async () => {
      const client = admin(settings);
      try {
        await client.connect();
        const cluster = await client.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null ? true : undefined;
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

/** Topics are created up front: auto-creation is off, and kafkajs mishandles it under KRaft. */
export async function ensureTopics(settings: Settings, topics: readonly TopicSpec[]): Promise<string[]> {
  const client = admin(settings);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await client.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await client.disconnect();
  }
}

export function kafkaIsOurs(settings: Settings): boolean {
  return runningPid(kafkaProcess(settings)) !== undefined;
}
