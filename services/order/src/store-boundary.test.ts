import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SOURCE_ROOT = dirname(fileURLToPath(import.meta.url));

const THIS_FILE = "store-boundary.test.ts";

/** The order service's sources outside the store: everything but persistence/ and the generated client. */
function applicationSources(): { file: string; text: string }[] {
  return readdirSync(SOURCE_ROOT, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".ts") && path !== THIS_FILE && !/^(persistence|generated)\//.test(path))
    .map((path) => ({ file: path, text: readFileSync(join(SOURCE_ROOT, path), "utf8") }));
}

function offending(pattern: RegExp): string[] {
  return applicationSources().flatMap(({ file, text }) =>
    text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe("the store boundary", () => {
  it("finds the sources it checks", () => {
    const files = applicationSources().map(({ file }) => relative(".", file));
    expect(files).toContain("application/orders.ts");
    expect(files).toContain("http/orders.ts");
  });

  it("keeps Prisma and pg out of the application, HTTP and messaging code", () => {
    expect(offending(/from\s+["'](pg|@prisma\/[^"']+|[^"']*generated\/prisma[^"']*)["']/)).toEqual([]);
    expect(offending(/\$(queryRaw|executeRaw|transaction)\b|\.query\s*[<(]/)).toEqual([]);
  });

  it("keeps SQL out of them", () => {
    expect(
      offending(/\b(select|insert\s+into|update|delete\s+from)\b[^;]*\b(from|set|values|where)\b/i),
    ).toEqual([]);
    expect(offending(/pg_notify|for update|unnest\(/i)).toEqual([]);
  });
});
