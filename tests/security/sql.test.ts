import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { describe, expect, it } from "vitest";

/** Every TypeScript source of the services, the packages and the database and stack tooling. */
function sources(): { file: string; text: string }[] {
  const roots = ["packages", "services", "prisma", "deploy"].map((dir) => join(settings.repoRoot, dir));
  return roots.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((path) => /\.ts$/.test(path) && !/(^|\/)(node_modules|dist|generated)\//.test(path))
      .map((path) => {
        const file = join(root, path);
        return { file: relative(settings.repoRoot, file), text: readFileSync(file, "utf8") };
      }),
  );
}

function matches(pattern: RegExp): string[] {
  return sources().flatMap(({ file, text }) =>
    text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

/**
 * SQL text built from strings that reached it through string operations, reviewed one by one: each
 * interpolates a constant of the code or a quoted database identifier from configuration, never
 * a value from a request. A new one fails this test until it is reviewed and added here (and to
 * docs/security.md).
 */
const REVIEWED_DYNAMIC_SQL = [
  // channel: a constant of each service, with quotes stripped
  /^packages\/messaging\/src\/relay-leadership\.ts:\d+: .*session\.client\.query\(`LISTEN "\$\{channel\.replaceAll\('"', ""\)\}"`\)/,
  // ORDER_CHANGED_CHANNEL: a constant
  /^services\/order\/src\/persistence\/order-changes\.ts:\d+: .*client\.query\(`(UN)?LISTEN \$\{ORDER_CHANGED_CHANNEL\}`\)/,
  // a change feed's channel: a constant of each service, refused by the constructor unless [a-z0-9_]
  /^packages\/messaging\/src\/change-feed\.ts:\d+: .*client\.query\(`(UN)?LISTEN \$\{this\.channel\}`\)/,
  // a table the service deleted from: names from its own retention rules, refused unless [a-z_][a-z0-9_]*
  /^packages\/messaging\/src\/table-vacuum\.ts:\d+: .*db\.query\(`vacuum \(analyze\) \$\{table\}`\)/,
  // database names from the configured URLs, through quoteIdentifier (tooling, not the services)
  /^prisma\/src\/postgres\.ts:\d+: .*client\.query\(`(CREATE DATABASE|DROP DATABASE IF EXISTS) \$\{quoteIdentifier\(/,
  // the same in the local stack, quoting by doubling quotes
  /^deploy\/local\/src\/postgres\.ts:\d+: .*client\.query\(`(create database|drop database if exists) "\$\{name\.replaceAll\('"', '""'\)\}"/,
];

describe("SQL is parameterised", () => {
  it("never calls Prisma's unsafe raw APIs", () => {
    expect(matches(/\$(queryRawUnsafe|executeRawUnsafe)\b|Prisma\.raw\s*\(/)).toEqual([]);
  });

  it("sends SQL through pg with parameters, never through Prisma's raw query APIs", () => {
    expect(matches(/\.query(<[^>]*>)?\(/).length).toBeGreaterThan(0);
    expect(matches(/\$(queryRaw|executeRaw)\b/)).toEqual([]);
  });

  it("builds no SQL for pg by concatenation, and only the reviewed SQL by interpolation", () => {
    expect(matches(/\.query(<[^>]*>)?\(\s*(["'`])[^"'`]*\2\s*\+/)).toEqual([]);
    const interpolated = matches(/\.query(<[^>]*>)?\(\s*`[^`]*\$\{/);
    expect(interpolated.length).toBeGreaterThanOrEqual(REVIEWED_DYNAMIC_SQL.length);
    const unreviewed = interpolated.filter(
      (line) => !REVIEWED_DYNAMIC_SQL.some((pattern) => pattern.test(line)),
    );
    expect(unreviewed).toEqual([]);
  });
});
