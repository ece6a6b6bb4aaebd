import { z } from "zod";

const DAY_MS = 24 * 60 * 60_000;

/**
 * A configuration schema: every key is an environment variable with a `describe()`d doc line,
 * parsed once at start-up. Errors list every bad variable at once, never a value (it may be a secret).
 */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.keys(shape).flatMap((key) => {
      const value = env[key];
      return value === undefined || value.trim() === "" ? [] : [[key, value.trim()]];
    }),
  );
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  return result.data;
}

/** Rows for the README's configuration table: name, default, description. */
export function describeConfig(
  shape: z.ZodRawShape,
): { name: string; defaultValue: string; description: string }[] {
  return Object.entries(shape).map(([name, schema]) => {
    const parsed = (schema as z.ZodType).safeParse(undefined);
    return {
      name,
      defaultValue: parsed.success && parsed.data !== undefined ? String(parsed.data) : "(required)",
      description: (schema as z.ZodType).description ?? "",
    };
  });
}

export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(0).max(65_535).default(defaultPort),
  milliseconds: (defaultMs: number) => z.coerce.number().int().positive().default(defaultMs),
  positiveInt: (value: number) => z.coerce.number().int().positive().default(value),
  /** A limit where 0 means "no limit". */
  limit: (value: number) => z.coerce.number().int().min(0).default(value),
  url: (defaultUrl: string) => z.url().default(defaultUrl),
  list: (defaultValue: string) =>
    z
      .string()
      .default(defaultValue)
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  secret: () => z.string().min(32, "must be at least 32 characters"),
};

/**
 * The settings both services have in common, under the same names and defaults; each service
 * spreads these into its own shape next to its own keys.
 */
export const serviceConfigShape = {
  DATABASE_POOL_SIZE: env
    .positiveInt(10)
    .describe(
      "Connections of the consumer's reactions and the sweeper (KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY use one each).",
    ),
  HTTP_DATABASE_POOL_SIZE: env
    .positiveInt(5)
    .describe(
      "Connections of the HTTP API (writes and reads), a pool apart from DATABASE_POOL_SIZE so that requests and reactions never wait for each other's connections.",
    ),
  KAFKA_BROKERS: env.list("127.0.0.1:9092").describe("Comma-separated Kafka bootstrap brokers."),
  KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: env
    .positiveInt(3)
    .describe("Partitions the consumer applies at the same time (each in its own transaction)."),
  KAFKA_SESSION_TIMEOUT_MS: env
    .milliseconds(6_000)
    .describe(
      "How long the group waits for a silent member (a killed instance) before giving its partitions to the others; 6 s is the broker's default minimum.",
    ),
  KAFKA_HEARTBEAT_INTERVAL_MS: env
    .milliseconds(1_000)
    .describe(
      "How often a member heartbeats, and so how soon it hears of a rebalance (below a third of the session timeout).",
    ),
  KAFKA_MAX_BATCH_SIZE: env
    .positiveInt(100)
    .describe("Most events of one partition applied in one database transaction."),
  SCHEMA_REGISTRY_URL: env
    .url("http://127.0.0.1:8081/apis/ccompat/v7")
    .describe("Confluent-compatible schema registry API."),
  AUTH_JWT_SECRET: env
    .secret()
    .describe("HS256 secret that verifies bearer tokens (at least 32 characters)."),
  OUTBOX_POLL_INTERVAL_MS: env
    .milliseconds(250)
    .describe("Fallback poll of the outbox when no commit notification arrives."),
  OUTBOX_VACUUM_AFTER_ROWS: env
    .limit(1_000)
    .describe("Published outbox rows deleted after which the relay vacuums the outbox (0: never)."),
  HTTP_RATE_LIMIT_PER_SECOND: env
    .positiveInt(200)
    .describe(
      "Requests per second each client (token subject, else address) may sustain at each instance; 429 beyond. Per instance: N replicas admit up to N times this.",
    ),
  HTTP_RATE_LIMIT_BURST: env
    .positiveInt(400)
    .describe("Requests a client may send at once to each instance before the per-second rate applies."),
  KAFKA_RECORD_LIFETIME_MS: env
    .milliseconds(DAY_MS * 14 + 5 * 60_000)
    .describe(
      "Longest time a record stays readable in the topics this service consumes: their retention.ms plus segment.ms (a segment goes only once its newest record is past retention) plus the broker's log.retention.check.interval.ms. Default: Kafka's defaults, 7 d + 7 d + 5 min.",
    ),
  INBOX_RETENTION_MS: env
    .milliseconds(DAY_MS * 15)
    .describe(
      "How long an inbox entry is kept, so that a redelivery of its event is refused as a duplicate; no shorter than KAFKA_RECORD_LIFETIME_MS (refused at start-up otherwise).",
    ),
  RETENTION_INTERVAL_MS: env
    .milliseconds(60_000)
    .describe("How often rows past their retention window are deleted, and the tables trimmed vacuumed."),
  RETENTION_BATCH_SIZE: env
    .positiveInt(500)
    .describe("Most rows one retention statement deletes (at most 20 statements per table and run)."),
  RETENTION_VACUUM_AFTER_ROWS: env
    .limit(1_000)
    .describe(
      "Rows retention deleted from a table, or dead rows in a table updated in place, after which the service vacuums it (0: never; leave it to autovacuum).",
    ),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(15_000).describe("Upper bound for a graceful shutdown on SIGTERM."),
  CORS_ORIGINS: env
    .list("http://127.0.0.1:3000,http://localhost:3000")
    .describe(
      "Comma-separated origins (scheme://host[:port]) whose browser pages, such as the console, may call this API; any other origin gets no CORS headers.",
    ),
  LOG_LEVEL: env.logLevel().describe("Minimum level of the JSON logs on stdout."),
  // OpenTelemetry: the SDK reads these itself (and the other OTEL_* variables); they are listed
  // and checked here so that a wrong value stops the service at start-up, as any other setting.
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .optional()
    .describe(
      "OTLP/HTTP base URL (the SDK posts to <url>/v1/traces); traces are exported only when it or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.",
    ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url()
    .optional()
    .describe("Full OTLP/HTTP URL for traces, over the above."),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(["http/protobuf", "http/json"])
    .default("http/protobuf")
    .describe("OTLP encoding: http/protobuf or http/json (gRPC is not bundled)."),
  OTEL_SERVICE_NAME: z
    .string()
    .optional()
    .describe("service.name of the spans; order-service / inventory-service by default."),
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .optional()
    .describe("Extra resource attributes, key=value,key=value (deployment.environment.name=prod)."),
  OTEL_TRACES_SAMPLER: z
    .enum([
      "always_on",
      "always_off",
      "traceidratio",
      "parentbased_always_on",
      "parentbased_always_off",
      "parentbased_traceidratio",
    ])
    .default("parentbased_always_on")
    .describe(
      "Which traces are recorded: the caller's decision first (parentbased_*), else all, none or a ratio.",
    ),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("The ratio of the *traceidratio samplers (0..1, default 1)."),
  OTEL_BSP_SCHEDULE_DELAY: env
    .milliseconds(5_000)
    .describe("Most time a finished span waits in the batch before it is exported."),
  STOCKSAGA_FAULT_DUPLICATE_PUBLISH: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe("Fault injection for the test harness: the outbox relay publishes every event twice."),
};

/** The values of `serviceConfigShape` once parsed: what shared start-up code may read of a service's config. */
export type ServiceConfig = z.infer<z.ZodObject<typeof serviceConfigShape>>;

/**
 * The retention windows that guard against late events, checked against each other once parsed:
 * an inbox entry must outlive every redelivery of its event, and a row that decides how a late
 * event is handled (an order, an order request) must outlive the inbox entry of that event.
 */
export function retentionWindowIssues(
  config: Pick<ServiceConfig, "KAFKA_RECORD_LIFETIME_MS" | "INBOX_RETENTION_MS">,
  histories: Record<string, number> = {},
): string[] {
  const issues: string[] = [];
  if (config.INBOX_RETENTION_MS < config.KAFKA_RECORD_LIFETIME_MS) {
    issues.push(
      "INBOX_RETENTION_MS: shorter than KAFKA_RECORD_LIFETIME_MS; a redelivered event would be applied again",
    );
  }
  for (const [name, windowMs] of Object.entries(histories)) {
    if (windowMs < config.INBOX_RETENTION_MS) {
      issues.push(`${name}: shorter than INBOX_RETENTION_MS; a late event would find its order gone`);
    }
  }
  return issues;
}
