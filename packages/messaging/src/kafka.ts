import { Kafka, type KafkaConfig, type logCreator, logLevel, Partitioners, type Producer } from "kafkajs";
import type { Logger } from "pino";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** kafkajs logs through the service's logger, one JSON line format for everything. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      logger[levels[level] ?? "info"]({ kafkajs: extra }, message);
    };
}

export function createKafka(options: {
  clientId: string;
  brokers: readonly string[];
  logger: Logger;
  config?: Partial<KafkaConfig>;
}): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger.child({ component: "kafka" })),
    connectionTimeout: 3_000,
    // Capped at 2 s: once a broker is back, a client waits at most that long to notice.
    retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 2_000 },
    ...options.config,
  });
}

/**
 * How old the cluster's metadata (who leads each partition) may be before a client asks again.
 * kafkajs refreshes it on most errors, but a consumer fetching from a broker that was killed only
 * gets connection errors and keeps its old map (the default age is 5 minutes): refreshed every few
 * seconds, it finds the new leaders soon after the controller fences the dead broker. A metadata
 * request is small; a few per client and second cost the brokers nothing measurable.
 */
export const METADATA_MAX_AGE_MS = 3_000;

/**
 * acks=all, one request in flight, and no retry inside kafkajs: a failed send fails whole, and
 * the caller (the outbox relay, a consumer's dead-lettering) sends every message again.
 *
 * kafkajs 2.2.4 retries a `sendBatch` only towards the brokers that have not answered yet, with
 * partitions mapped to leaders afresh: a partition whose leadership moved to a broker that had
 * already answered is never sent, and the call resolves. On a cluster that lost acknowledged
 * events during a rolling restart. Its idempotent mode needs those retries, so it is off:
 * duplicates are harmless (every consumer's inbox drops them) and order per partition holds,
 * since a batch is sent again only as a whole, after the previous one settled.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    metadataMaxAge: METADATA_MAX_AGE_MS,
    idempotent: false,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 0 },
  });
}
