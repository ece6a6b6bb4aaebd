import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { connectMigrationAdapter } from "./pg-migration-adapter.js";
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
 * Set by the engine's panic hook (through `global.PRISMA_WASM_PANIC_REGISTRY`, which it expects
 * the host to provide); otherwise a panic surfaces as a bare "RuntimeError: unreachable". A
 * panicked instance must not be used again, and wasm-bindgen's glue cannot be re-instantiated
 * in the same process.
 */
let panicMessage: string | undefined;

function registerPanicHook(): void {
  Reflect.set(globalThis, "PRISMA_WASM_PANIC_REGISTRY", {
    set_message(message: string) {
      panicMessage = message;
    },
  });
}

/**
 * Instantiates Prisma's WebAssembly schema engine once per process. The package's main entry
 * imports the .wasm file as an ES module, which Node 20 cannot do, so the bindings are wired by
 * hand the way wasm-bindgen's generated entry would.
 */
function loadEngineModule(): Promise<void> {
  engineModuleLoaded ??= (async () => {
    registerPanicHook();
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
  private readonly connectionsClosed: Promise<void>[] = [];
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

  /**
   * Ends every pool, then drops the shadow databases. `Pool.end()` resolves before its
   * connections have closed, and dropping a database still connected to terminates them: their
   * clients would then raise unhandled errors. So it waits for each connection's own end.
   */
  async close(): Promise<void> {
    await Promise.all(this.pools.splice(0).map((pool) => pool.end()));
    await Promise.all(this.connectionsClosed.splice(0));
    for (const shadowUrl of this.shadowDatabaseUrls.splice(0)) await dropDatabase(shadowUrl);
  }

  private adapterFor(url: string): Promise<SqlDriverAdapter> {
    // One connection, as the native engine has: session state such as Prisma's advisory lock
    // stays on the session that took it.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on("connect", (client) => {
      this.connectionsClosed.push(new Promise((resolve) => client.once("end", () => resolve())));
    });
    this.pools.push(pool);
    return connectMigrationAdapter(pool);
  }
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
  if (panicMessage !== undefined) throw new SchemaEnginePanic(panicMessage);
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
      if (panicMessage === undefined) engine.free();
    }
  } catch (error) {
    if (panicMessage !== undefined) throw new SchemaEnginePanic(panicMessage, error);
    throw error;
  } finally {
    await connections.close();
  }
}

/** The schema engine crashed; it cannot be used again in this process. */
export class SchemaEnginePanic extends Error {
  constructor(panic: string, cause?: unknown) {
    super(`The schema engine panicked (restart the process before using it again): ${panic}`, { cause });
    this.name = "SchemaEnginePanic";
  }
}
