import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A process this stack started: its pid lives in a file, and its command line carries a marker. */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  /** A `-D` system property on the java command line, so a recycled pid is never mistaken for ours. */
  marker: string;
  logFile: string;
}

export function runningPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined;
  const pid = Number(readFileSync(proc.pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(proc.marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): number {
  const out = openSync(proc.logFile, "a");
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${proc.name}: could not start ${command}`);
  child.unref();
  writeFileSync(proc.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after the grace period; only ever the pid recorded by `startDetached`. */
export async function stopProcess(
  proc: ManagedProcess,
  graceMs = 20_000,
): Promise<"stopped" | "not running"> {
  const pid = runningPid(proc);
  if (pid === undefined) {
    rmSync(proc.pidFile, { force: true });
    return "not running";
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && runningPid(proc) !== undefined) await sleep(200);
  if (runningPid(proc) !== undefined) {
    process.kill(pid, "SIGKILL");
    while (runningPid(proc) !== undefined) await sleep(100);
  }
  rmSync(proc.pidFile, { force: true });
  return "stopped";
}

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; alive?: () => boolean },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`${what}: the process exited during start-up`);
    try {
      const result = await probe();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 500);
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
  throw new Error(`${what}: not ready after ${Math.round(options.timeoutMs / 1000)} s${detail}`);
}
