import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { findConventionViolations } from "./conventions.js";
import { formatWithBiome } from "./format.js";
import { renderSchemas, renderTypes } from "./render-types.js";
import { type EventSchemaFile, loadEventSchemas, REPO_ROOT } from "./schema-files.js";

/** A file generated from the schemas, with its path from the repository root. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Directories holding only generated files: anything else found there is stale. */
export const GENERATED_CODE_DIR = "packages/contracts/src/events";

export class ConventionError extends Error {
  constructor(readonly violations: readonly string[]) {
    super(`the schemas break ${violations.length} convention(s):\n  ${violations.join("\n  ")}`);
    this.name = "ConventionError";
  }
}

export function loadCheckedSchemas(): EventSchemaFile[] {
  const files = loadEventSchemas();
  const violations = findConventionViolations(files);
  if (violations.length > 0) throw new ConventionError(violations);
  return files;
}

export function renderCode(files: readonly EventSchemaFile[]): GeneratedFile[] {
  return [
    { path: `${GENERATED_CODE_DIR}/types.ts`, render: renderTypes },
    { path: `${GENERATED_CODE_DIR}/schemas.ts`, render: renderSchemas },
  ].map(({ path, render }) => ({ path, content: formatWithBiome(render(files), path) }));
}

/**
 * The catalog reads the topic map, which imports the generated code: load it only once that code exists,
 * so a first generation in a fresh checkout works.
 */
export async function renderCatalogFiles(files: readonly EventSchemaFile[]): Promise<GeneratedFile[]> {
  const { renderAsyncApi, renderEventsMarkdown } = await import("./render-catalog.js");
  const contractsPackage = JSON.parse(
    readFileSync(join(REPO_ROOT, "packages/contracts/package.json"), "utf8"),
  ) as {
    version: string;
  };
  const input = { files, version: contractsPackage.version };
  return [
    { path: "docs/events.md", content: renderEventsMarkdown(input) },
    { path: "docs/asyncapi.json", content: formatWithBiome(renderAsyncApi(input), "docs/asyncapi.json") },
  ];
}

/** Writes files whose content changed and removes stale files from generated directories. */
export function writeGenerated(
  outputs: readonly GeneratedFile[],
  generatedDirectories: readonly string[] = [],
): string[] {
  const changed: string[] = [];
  for (const output of outputs) {
    const absolute = join(REPO_ROOT, output.path);
    if (existsSync(absolute) && readFileSync(absolute, "utf8") === output.content) continue;
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, output.content);
    changed.push(output.path);
  }
  for (const stale of staleFiles(outputs, generatedDirectories)) {
    rmSync(join(REPO_ROOT, stale));
    changed.push(`${stale} (removed)`);
  }
  return changed;
}

/** What differs between the committed files and what the schemas generate, one line per file. */
export function findDrift(
  outputs: readonly GeneratedFile[],
  generatedDirectories: readonly string[] = [],
): string[] {
  const drift: string[] = [];
  for (const output of outputs) {
    const absolute = join(REPO_ROOT, output.path);
    if (!existsSync(absolute)) {
      drift.push(`${output.path} is missing`);
    } else if (readFileSync(absolute, "utf8") !== output.content) {
      drift.push(`${output.path} differs from what the schemas generate`);
    }
  }
  for (const stale of staleFiles(outputs, generatedDirectories)) {
    drift.push(`${stale} is not generated from any schema`);
  }
  return drift;
}

function staleFiles(outputs: readonly GeneratedFile[], generatedDirectories: readonly string[]): string[] {
  const expected = new Set(outputs.map((output) => output.path));
  return generatedDirectories.flatMap((directory) => {
    const absolute = join(REPO_ROOT, directory);
    if (!existsSync(absolute)) return [];
    return readdirSync(absolute, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)))
      .filter((path) => !expected.has(path));
  });
}
