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
