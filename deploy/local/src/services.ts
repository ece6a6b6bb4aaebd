import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StackError } from "./failure.js";
import type { Settings } from "./settings.js";

export type ServiceName = "order" | "inventory";

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  pid: number;
  /** SIGTERM and wait for a graceful exit; resolves to the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL: a crash, for fault tests. */
  kill: () => Promise<void>;
  exited: Promise<number | null>;
}

const portVariable: Record<ServiceName, string> = {
  order: "ORDER_SERVICE_PORT",
  inventory: "INVENTORY_SERVICE_PORT",
};

export interface StartServiceOptions {
  port: number;
  env?: Record<string, string>;
  logFile?: string;
  readyTimeoutMs?: number;
  /**
   * `source` (the default) runs `src/main.ts` through tsx, workspace packages from their sources;
   * `compiled` runs `dist/main.js` with plain node, as production does (build first: `npm run build`).
   */
  entry?: "source" | "compiled";
}

/**
 * Starts a service as a child process, and resolves once `/health/ready` answers 200. Output goes
 * to `logFile` or is inherited.
 */
export async function startService(
  settings: Settings,
  name: ServiceName,
  options: StartServiceOptions,
): Promise<ServiceProcess> {
  const serviceDir = join(settings.repoRoot, "services", name);
  const compiledEntry = join(serviceDir, "dist", "main.js");
  if (options.entry === "compiled" && !existsSync(compiledEntry)) {
    throw new StackError(`${name} service`, `${compiledEntry} does not exist; run npm run build first`);
  }
  const child: ChildProcess = spawn(
    process.execPath,
    options.entry === "compiled"
      ? [compiledEntry]
      : ["--conditions=source", "--import", "tsx", "src/main.ts"],
    {
      cwd: serviceDir,
      env: {
        ...process.env,
        KAFKA_BROKERS: settings.kafka.brokers.join(","),
        SCHEMA_REGISTRY_URL: settings.registry.url,
        ORDER_DATABASE_URL: settings.postgres.orderUrl,
        INVENTORY_DATABASE_URL: settings.postgres.inventoryUrl,
        ...options.env,
        [portVariable[name]]: String(options.port),
      },
      stdio: options.logFile ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    },
  );
  // Both streams write to one log, which is closed only once the child's output has ended: the
  // last lines of a service that died are on disk by the time `exited` resolves.
  const logClosed = new Promise<void>((resolve) => {
    if (!options.logFile) return resolve();
    const out = createWriteStream(options.logFile, { flags: "a" });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once("close", () => out.end(resolve));
  });
  if (child.pid === undefined) throw new StackError(`${name} service`, "could not start a node process");
  const pid = child.pid;
  const exited = once(child, "exit").then(async ([code]) => {
    await logClosed;
    return code as number | null;
  });
  const url = `http://127.0.0.1:${options.port}`;

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const component = `${name} service`;
  for (;;) {
    if (!alive) {
      const code = await exited;
      throw new StackError(component, `exited during start-up (exit code ${code})`, options.logFile);
    }
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new StackError(
        component,
        `not ready within ${options.readyTimeoutMs ?? 60_000} ms (/health/ready never answered 200)`,
        options.logFile,
      );
    }
    await sleep(200);
  }

  return {
    name,
    url,
    pid,
    exited,
    stop: async () => {
      if (alive) child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      if (alive) child.kill("SIGKILL");
      await exited;
    },
  };
}
