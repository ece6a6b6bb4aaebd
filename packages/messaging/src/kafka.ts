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
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    ...options.config,
  });
}

/**
 * Idempotent, acks=all, one request in flight: the broker dedups retries and keeps per-partition
 * order, which the saga relies on (kafkajs marks idempotence experimental; ordering needs this).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
