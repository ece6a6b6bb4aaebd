import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL(".", import.meta.url));

/** Every source file outside persistence/ (and the generated Prisma client), tests included. */
function sourcesOutsidePersistence(): { file: string; text: string }[] {
  return readdirSync(SRC, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts") && !/^(persistence|generated)\//.test(path))
    .map((path) => ({ file: path, text: readFileSync(join(SRC, path), "utf8") }));
}

const DATABASE_ACCESS: [string, RegExp][] = [
  ["the pg driver", /from\s+["']pg["']/],
  ["Prisma", /from\s+["'](@prisma\/|[./]*generated\/prisma)/],
  ["a query", /\.(query|\$queryRaw|\$executeRaw|\$transaction)\s*[(<`]/],
  ["SQL text", /["'`]\s*(select|insert\s+into|update|delete\s+from)\s+[\w*]/i],
];

describe("the store is the application's only door to the database", () => {
  it("finds the sources it checks", () => {
    const files = sourcesOutsidePersistence().map(({ file }) => relative(".", file));
    expect(files).toEqual(
      expect.arrayContaining(["service.ts", "application/inventory.ts", "http/products.ts"]),
    );
  });

  it.each(DATABASE_ACCESS)("no file outside persistence/ uses %s", (_, pattern) => {
    const offending = sourcesOutsidePersistence().flatMap(({ file, text }) =>
      text
        .split("\n")
        .flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });
});
