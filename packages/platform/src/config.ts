import { z } from "zod";

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
  HTTP_RATE_LIMIT_PER_SECOND: env
    .positiveInt(200)
    .describe("Requests per second each client (token subject, else address) may sustain; 429 beyond."),
  HTTP_RATE_LIMIT_BURST: env
    .positiveInt(400)
    .describe("Requests a client may send at once before the per-second rate applies."),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(15_000).describe("Upper bound for a graceful shutdown on SIGTERM."),
  CORS_ORIGINS: env
    .list("http://127.0.0.1:3000,http://localhost:3000")
    .describe(
      "Comma-separated origins (scheme://host[:port]) whose browser pages, such as the console, may call this API; any other origin gets no CORS headers.",
    ),
  LOG_LEVEL: env.logLevel().describe("Minimum level of the JSON logs on stdout."),
  STOCKSAGA_FAULT_DUPLICATE_PUBLISH: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe("Fault injection for the test harness: the outbox relay publishes every event twice."),
};

/** The values of `serviceConfigShape` once parsed: what shared start-up code may read of a service's config. */
export type ServiceConfig = z.infer<z.ZodObject<typeof serviceConfigShape>>;
