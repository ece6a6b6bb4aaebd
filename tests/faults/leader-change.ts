import { setTimeout as sleep } from "node:timers/promises";
import {
  clusterStatus,
  findKafkaJava,
  killBroker,
  settings,
  startBroker,
  stopBroker,
} from "@stocksaga/deploy/stack";
import { createProducer } from "@stocksaga/messaging";
import { Kafka, logLevel } from "kafkajs";

/**
 * `npm run test:leader-change`: does the services' producer lose acknowledged messages while
 * leaders move? Starts a 3-broker cluster of its own (set STOCKSAGA_KAFKA_BROKER_COUNT=3 and
 * ports and STOCKSAGA_STACK_DIR apart from any running stack), sends numbered messages with
 * `sendBatch` as the outbox relay does (a failed batch is sent again whole), rolls every broker,
 * SIGKILLs one, then reads the topic back and exits 1 if an acknowledged number is missing.
 * Found kafkajs's idempotent producer losing 18 of 17,580 acknowledged messages this way.
 */
const log = (line: string) =>
  console.log(`[leader-change ${new Date().toISOString().slice(11, 19)}] ${line}`);
if (settings.kafka.brokerCount < 3 || settings.kafka.external)
  throw new Error("needs STOCKSAGA_KAFKA_BROKER_COUNT=3");
const java = await findKafkaJava();
for (const node of settings.kafka.nodes) await startBroker(settings, node, java, log);
const kafka = new Kafka({
  brokers: settings.kafka.brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3_000,
});
const admin = kafka.admin();
const inSync = async () => {
  for (;;) {
    const status = await clusterStatus(settings).catch(() => undefined);
    if (status && status.brokers.length === 3 && status.underReplicated.length === 0) return;
    await sleep(500);
  }
};
let exitCode = 1;
try {
  await inSync();
  await admin.connect();
  const topic = `leader-change-${Date.now()}`;
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 6,
        replicationFactor: 3,
        configEntries: [{ name: "min.insync.replicas", value: "2" }],
      },
    ],
  });
  await sleep(5_000);
  const producer = createProducer(kafka);
  await producer.connect();
  const acknowledged = new Set<number>();
  let next = 0;
  let failures = 0;
  let running = true;
  const pump = (async () => {
    while (running) {
      const batch = Array.from({ length: 20 }, () => next++);
      for (;;) {
        try {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [{ topic, messages: batch.map((i) => ({ key: `k${i}`, value: String(i) })) }],
          });
          for (const i of batch) acknowledged.add(i);
          break;
        } catch {
          failures++;
          await sleep(200);
        }
      }
      await sleep(50);
    }
  })();
  await sleep(3_000);
  for (const node of settings.kafka.nodes) {
    await stopBroker(settings, node);
    await startBroker(settings, node, java, log);
    await inSync();
    log(`broker ${node.nodeId} restarted and in sync; ${acknowledged.size} acknowledged`);
  }
  const [victim] = settings.kafka.nodes;
  if (victim) {
    await killBroker(settings, victim);
    await sleep(8_000);
    await startBroker(settings, victim, java, log);
    await inSync();
    log(`broker ${victim.nodeId} killed, restarted and in sync`);
  }
  running = false;
  await pump;
  await producer.disconnect();
  const ends = await admin.fetchTopicOffsets(topic);
  const total = ends.reduce((sum, end) => sum + Number(end.high), 0);
  const seen = new Set<number>();
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let read = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(Number(message.value?.toString()));
        if (++read >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  const lost = [...acknowledged].filter((i) => !seen.has(i));
  log(
    `acknowledged ${acknowledged.size}, records ${total} (${seen.size} distinct), failed sends ${failures}, lost ${lost.length}${lost.length > 0 ? `: ${lost.slice(0, 20).join(", ")}` : ""}`,
  );
  exitCode = lost.length === 0 ? 0 : 1;
} finally {
  await admin.disconnect().catch(() => undefined);
  for (const node of settings.kafka.nodes) await stopBroker(settings, node);
}
process.exit(exitCode);
