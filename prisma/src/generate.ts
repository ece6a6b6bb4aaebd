import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { migrationLayout, type ServiceDatabase } from "./databases.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const packageRoot = fileURLToPath(new URL("..", import.meta.url));

export interface GenerateOptions {
  /** Write the client here instead of the output the schema names (tests use a private copy). */
  readonly outputDir?: string;
  /** Regenerate even when the output was generated from the same schema and Prisma version. */
  readonly force?: boolean;
}

export interface GenerateResult {
  readonly database: ServiceDatabase;
  readonly outputDir: string;
  readonly status: "generated" | "up-to-date";
}

/**
 * Generates a service's Prisma client with the Prisma CLI, offline.
 *
 * Every CLI command first downloads a schema-engine binary unless PRISMA_SCHEMA_ENGINE_BINARY
 * names an existing file; generate never runs it. The stand-in is the engine's WebAssembly file,
 * which is not executable: should a command ever try to run it, it fails loudly.
 *
 * Turbo runs this package's `generate` and each service's `generate` at the same time, and both
 * write the same folder; a lock serialises them and a fingerprint of the inputs lets the second
 * one skip, so no task ever reads a client while it is being rewritten.
 */
export async function generateClient(
  database: ServiceDatabase,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const { schemaPath } = migrationLayout(database);
  const schema = await readFile(schemaPath, "utf8");
  const outputDir = options.outputDir ?? outputDirOf(schema, schemaPath);
  const fingerprint = fingerprintOf(schema, outputDir);
  const fingerprintPath = join(outputDir, ".stocksaga-fingerprint");

  await mkdir(dirname(outputDir), { recursive: true });
  // The root .gitignore's `src/generated/` is anchored to the repository root, so it does not
  // cover services/*/src/generated: the folder ignores itself instead.
  await writeFile(
    join(dirname(outputDir), ".gitignore"),
    "# Generated clients are never committed.\n*\n",
    "utf8",
  );
  return withLock(`${outputDir}.lock`, async () => {
    const previous = await readFile(fingerprintPath, "utf8").catch(() => undefined);
    if (!options.force && previous === fingerprint && (await exists(join(outputDir, "client.ts")))) {
      return { database, outputDir, status: "up-to-date" };
    }
    if (options.outputDir === undefined) {
      await prismaGenerate(["--config", join(database, "prisma.config.ts")], packageRoot);
    } else {
      await generateElsewhere(schema, options.outputDir);
    }
    await writeFile(fingerprintPath, fingerprint, "utf8");
    return { database, outputDir, status: "generated" };
  });
}

/** Prisma has no --output flag: generate from a copy of the schema whose generator points elsewhere. */
async function generateElsewhere(schema: string, outputDir: string): Promise<void> {
  const redirected = schema.replace(
    generatorOutput,
    (_line, prefix: string) => `${prefix}${JSON.stringify(outputDir)}`,
  );
  const workDir = await mkdtemp(join(tmpdir(), "stocksaga-generate-"));
  try {
    await writeFile(join(workDir, "schema.prisma"), redirected, "utf8");
    await prismaGenerate(["--schema", join(workDir, "schema.prisma")], workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The generator's `output = "..."` line: the prefix up to the quote, then the quoted path. */
const generatorOutput = /^(\s*output\s*=\s*)"([^"]*)"\s*$/m;

function outputDirOf(schema: string, schemaPath: string): string {
  const declared = generatorOutput.exec(schema)?.[2];
  if (declared === undefined) throw new Error(`${schemaPath} declares no generator output`);
  return resolve(dirname(schemaPath), declared);
}

async function prismaGenerate(args: readonly string[], cwd: string): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  const engineStandIn = join(
    dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")),
    "schema_engine_bg.wasm",
  );
  try {
    await run(process.execPath, [cli, "generate", ...args], {
      cwd,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? engineStandIn,
        // No update check nor telemetry: both would wait on hosts this machine cannot reach.
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    });
  } catch (error) {
    const output = error instanceof Error && "stderr" in error ? String(error.stderr) : "";
    throw new Error(`prisma generate ${args.join(" ")} failed${output === "" ? "" : `:\n${output}`}`, {
      cause: error,
    });
  }
}

function fingerprintOf(schema: string, outputDir: string): string {
  const versions = ["prisma/package.json", "@prisma/client/package.json"].map(
    (manifest) => (require(manifest) as { version: string }).version,
  );
  return createHash("sha256")
    .update(JSON.stringify([schema, outputDir, ...versions]))
    .digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const lockPollMs = 100;
/** Generating takes about a second; a lock this old was left by a killed process. */
const staleLockMs = 60_000;

async function withLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await (await open(lockPath, "wx")).close();
      break;
    } catch (error) {
      if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
      const lockedSince = await stat(lockPath).then(
        (info) => info.mtimeMs,
        () => undefined,
      );
      if (lockedSince !== undefined && Date.now() - lockedSince > staleLockMs) {
        await rm(lockPath, { force: true });
      } else {
        await new Promise((resolveWait) => setTimeout(resolveWait, lockPollMs));
      }
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
