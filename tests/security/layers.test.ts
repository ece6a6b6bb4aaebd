import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { describe, expect, it } from "vitest";

/**
 * The store boundary of both services: SQL, the pg driver and Prisma live in `persistence/`, and
 * nothing else in a service reaches the database but through its store. Tests outside
 * `persistence/` use the in-memory store, so none of them matches SQL text either.
 */
const SERVICES = ["order", "inventory"] as const;

const DATABASE_ACCESS: readonly { what: string; pattern: RegExp }[] = [
  { what: "a Prisma raw query or transaction", pattern: /\$(queryRaw|executeRaw|transaction)\b/ },
  {
    what: "a Prisma model call",
    pattern:
      /\b\w+\.(order|orderLine|orderTimelineEntry|product|orderRequest|reservation|stockAdjustment|outboxMessage|inboxMessage)\.(find|create|update|delete|upsert|count|aggregate|groupBy)\w*\(/,
  },
  { what: "the Prisma client", pattern: /generated\/prisma|@prisma\/|PrismaClient/ },
  { what: "the pg driver", pattern: /from\s+["']pg["']/ },
  { what: "a pg query", pattern: /\.query(<[^>]*>)?\(/ },
  {
    what: "SQL text",
    pattern: /["'`]\s*(select|insert\s+into|update\s+\w+\s+set|delete\s+from|with\s+\w+\s+as)\b/i,
  },
];

function sourcesOutsidePersistence(service: string): { file: string; text: string }[] {
  const root = join(settings.repoRoot, "services", service, "src");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((path) => /\.ts$/.test(path) && !/^(persistence|generated)\//.test(path))
    .map((path) => ({
      file: relative(settings.repoRoot, join(root, path)),
      text: readFileSync(join(root, path), "utf8"),
    }));
}

describe.each(SERVICES)("the %s service", (service) => {
  it("has a persistence layer, and sources outside it", () => {
    expect(
      readdirSync(join(settings.repoRoot, "services", service, "src", "persistence")).length,
    ).toBeGreaterThan(0);
    expect(sourcesOutsidePersistence(service).length).toBeGreaterThan(5);
  });

  it("reaches the database only through persistence/", () => {
    const found = sourcesOutsidePersistence(service).flatMap(({ file, text }) =>
      text
        .split("\n")
        .flatMap((line, index) =>
          DATABASE_ACCESS.filter(({ pattern }) => pattern.test(line)).map(
            ({ what }) => `${file}:${index + 1}: ${what}: ${line.trim()}`,
          ),
        ),
    );
    expect(found).toEqual([]);
  });
});
