import type { ConfigResourceTypes, Kafka } from "kafkajs";
import type { Logger } from "pino";

/** `ConfigResourceTypes.TOPIC`: kafkajs is CommonJS, and Node's ESM loader does not see that enum as an export. */
const TOPIC = 2 as ConfigResourceTypes;

/** Kafka's default `log.retention.check.interval.ms`: a segment past retention waits this long at most. */
const RETENTION_CHECK_INTERVAL_MS = 5 * 60_000;

/**
 * How long a record can stay readable in each topic, from the broker's own settings: `retention.ms`
 * plus `segment.ms` (a segment goes only once its newest record is past retention) plus the
 * retention check interval; Infinity for a topic that keeps records forever (`retention.ms=-1`).
 */
export async function recordLifetimes(kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      resources: topics.map((name) => ({
        type: TOPIC,
        name,
        configNames: ["retention.ms", "segment.ms"],
      })),
      includeSynonyms: false,
    });
    return new Map(
      resources.map((resource) => {
        const value = (name: string) =>
          Number(
            resource.configEntries.find((entry) => entry.configName === name)?.configValue ?? Number.NaN,
          );
        const retention = value("retention.ms");
        const lifetime =
          retention < 0
            ? Number.POSITIVE_INFINITY
            : retention + value("segment.ms") + RETENTION_CHECK_INTERVAL_MS;
        return [resource.resourceName, lifetime];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Warns when a consumed topic keeps records longer than the service was told
 * (`KAFKA_RECORD_LIFETIME_MS`), which the inbox window was checked against: a redelivery could then
 * outlive its inbox entry. A warning, not a refusal: the topics are the brokers' to change, and a
 * service that cannot read their settings still runs.
 */
export async function warnIfRecordsOutliveInbox(
  kafka: Kafka,
  topics: readonly string[],
  declaredMs: number,
  logger: Logger,
): Promise<void> {
  try {
    for (const [topic, lifetimeMs] of await recordLifetimes(kafka, topics)) {
      if (lifetimeMs > declaredMs) {
        logger.warn(
          { topic, lifetimeMs, declaredMs },
          "a consumed topic keeps records longer than KAFKA_RECORD_LIFETIME_MS: raise it, and INBOX_RETENTION_MS with it",
        );
      }
    }
  } catch (error) {
    logger.warn({ err: error }, "could not read the consumed topics' retention");
  }
}
