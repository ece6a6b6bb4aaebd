import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import type pg from "pg";

export interface Machine {
  cpus: number;
  model: string;
  memoryGb: number;
  node: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine. */
  loadAverageAtStart: number[];
  postgres?: Record<string, string>;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

/** Settings that decide what a commit costs. */
export async function postgresSettings(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; setting: string }>(
    `select name, setting from pg_settings
      where name in ('fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'server_version')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

export function gitRevision(repoRoot: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "services", "packages"], { cwd: repoRoot })
        .toString()
        .trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: true };
  }
}
