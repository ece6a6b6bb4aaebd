import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { createDatabase, dropDatabase, withDatabase } from "./postgres.js";

export type SchemaEngine = engineBindings.SchemaEngine;

/** A Prisma schema file, as the engine wants it: a name for messages and its text. */
export interface SchemaFile {
  readonly path: string;
  readonly content: string;
}

export async function readSchemaFile(path: string): Promise<SchemaFile> {
  return { path, content: await readFile(path, "utf8") };
}

// The project's lib has no DOM types, so the little of the WebAssembly API used here is declared
// locally (module scope: it types the global, it does not replace it).
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let engineModuleLoaded: Promise<void> | undefined;

/**
 * Instantiates Prisma's WebAssembly schema engine once per process. The package's main entry
 * imports the .wasm file as an ES module, which Node 20 cannot do, so the bindings are wired by
 * hand the way wasm-bindgen's generated entry would.
 */
function loadEngineModule(): Promise<void> {
  engineModuleLoaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(join(dirname(bindingsPath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": withUnrefTimers(engineBindings),
    });
    engineBindings.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start !== "function")
      throw new Error("The schema engine's WebAssembly module has no start function");
    start();
  })();
  return engineModuleLoaded;
}

/**
 * The engine arms a timer for every timeout it awaits (10 s around Prisma's advisory lock, for
 * one) and never clears them, which kept every process alive for 10 s after its work was done.
 * Unreferenced timers still fire while anything else keeps the process running.
 */
function withUnrefTimers(bindings: typeof engineBindings): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bindings };
  for (const name of Object.keys(imports).filter((key) => key.startsWith("__wbg_setTimeout_"))) {
    imports[name] = (callback: () => void, delayMs: number) => setTimeout(callback, delayMs >>> 0).unref();
  }
  return imports;
}

/**
 * Connections for the engine, each on a pool this factory owns. Shadow databases are created
 * and dropped here rather than by `PrismaPg.connectToShadowDb`, which (7.10.0) passes the shadow
 * database name next to a connection string, where pg ignores it — and never drops it while its
 * pool is still connected.
 */
class MigrationConnections implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres";
  readonly adapterName = "@prisma/adapter-pg";
  private readonly pools: pg.Pool[] = [];
  private readonly shadowDatabaseUrls: string[] = [];

  constructor(private readonly url: string) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.adapterFor(this.url);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadowUrl = withDatabase(this.url, `prisma_shadow_${randomUUID().replaceAll("-", "")}`);
    await createDatabase(shadowUrl);
    this.shadowDatabaseUrls.push(shadowUrl);
    return this.adapterFor(shadowUrl);
  }

  /** Ends every pool, then drops the shadow databases (which needs their connections gone). */
  async close(): Promise<void> {
    await Promise.all(this.pools.splice(0).map((pool) => pool.end()));
    for (const shadowUrl of this.shadowDatabaseUrls.splice(0)) await dropDatabase(shadowUrl);
  }

  private adapterFor(url: string): Promise<SqlDriverAdapter> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on("connect", readInternalCharAsText);
    this.pools.push(pool);
    return new PrismaPg(pool).connect();
  }
}

const internalCharTypeId = 18;
const textTypeId = 25;

/**
 * adapter-pg 7.10.0 refuses result columns of PostgreSQL's one-byte `"char"` type (OID 18,
 * "Unsupported column type char"), and the engine's catalog queries select some
 * (`pg_constraint.contype`), so describing a database fails. pg already hands those values over
 * as one-letter strings: labelling the columns as text is all the adapter needs. Patched per
 * connection, for both the callback form (used by `Pool.query`) and the promise form (used
 * inside transactions).
 */
function readInternalCharAsText(client: pg.PoolClient): void {
  const query: (...args: unknown[]) => unknown = client.query.bind(client);
  const relabelled = (...args: unknown[]): unknown => {
    const callback = args.at(-1);
    if (typeof callback === "function") {
      args[args.length - 1] = (error: unknown, result: unknown) =>
        callback(error, error ? result : relabelInternalChar(result));
    }
    const returned = query(...args);
    return returned instanceof Promise ? returned.then(relabelInternalChar) : returned;
  };
  client.query = relabelled as typeof client.query;
}

function relabelInternalChar(result: unknown): unknown {
  const fields: unknown =
    typeof result === "object" && result !== null ? Reflect.get(result, "fields") : undefined;
  if (Array.isArray(fields)) {
    for (const field of fields as pg.FieldDef[]) {
      if (field.dataTypeID === internalCharTypeId) field.dataTypeID = textTypeId;
    }
  }
  return result;
}

export interface SchemaEngineSession {
  /** The database the engine works on; shadow databases are created on the same server. */
  readonly url: string;
  readonly schema: SchemaFile;
  /** Receives the engine's log lines (JSON text); ignored by default. */
  readonly onLog?: (line: string) => void;
}

/** Runs `work` with a schema engine connected through `@prisma/adapter-pg`, then releases everything. */
export async function withSchemaEngine<T>(
  session: SchemaEngineSession,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadEngineModule();
  const connections = new MigrationConnections(session.url);
  try {
    const engine = await engineBindings.SchemaEngine.new(
      { datamodels: [[session.schema.path, session.schema.content]] },
      (line: string) => session.onLog?.(line),
      bindMigrationAwareSqlAdapterFactory(connections),
    );
    try {
      return await work(engine);
    } finally {
      engine.free();
    }
  } finally {
    await connections.close();
  }
}
