import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startDetached, waitFor } from "./processes.js";
import type { Settings } from "./settings.js";

export function registryProcess(settings: Settings): ManagedProcess {
  return {
    name: "registry",
    pidFile: join(settings.registry.dir, "registry.pid"),
    marker: `-Dstocksaga.stack=${settings.stackDir}/registry`,
    logFile: join(settings.registry.dir, "registry.log"),
  };
}

function jdbcUrl(settings: Settings): { url: string; user: string; password: string } {
  const admin = new URL(settings.postgres.adminUrl);
  return {
    url: `jdbc:postgresql://${admin.hostname}:${admin.port || "5432"}/${settings.registry.databaseName}`,
    user: decodeURIComponent(admin.username || "postgres"),
    password: decodeURIComponent(admin.password),
  };
}

export async function startRegistry(settings: Settings, java: string): Promise<number> {
  const { dir, distDir, heap, port, managementPort } = settings.registry;
  mkdirSync(dir, { recursive: true });
  const database = jdbcUrl(settings);
  const proc = registryProcess(settings);
  return startDetached(
    proc,
    java,
    [
      `-Xmx${heap}`,
      proc.marker,
      "-Dquarkus.http.host=127.0.0.1",
      `-Dquarkus.http.port=${port}`,
      "-Dquarkus.management.host=127.0.0.1",
      `-Dquarkus.management.port=${managementPort}`,
      // SQL storage on the local PostgreSQL keeps schema ids stable across restarts, like production.
      "-Dapicurio.storage.kind=sql",
      "-Dapicurio.storage.sql.kind=postgresql",
      `-Dapicurio.datasource.url=${database.url}`,
      `-Dapicurio.datasource.username=${database.user}`,
      `-Dapicurio.datasource.password=${database.password}`,
      // Its default pool holds 20 connections open: a few local stacks would exhaust PostgreSQL's 100.
      "-Dapicurio.datasource.jdbc.initial-size=2",
      "-Dapicurio.datasource.jdbc.min-size=2",
      "-Dapicurio.datasource.jdbc.max-size=10",
      "-Dquarkus.log.level=INFO",
      "-jar",
      join(distDir, "quarkus-run.jar"),
    ],
    { cwd: dir },
  );
}

async function registryAnswersOnce(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}

export async function waitForRegistry(
  settings: Settings,
  timeoutMs: number,
  alive?: () => boolean,
): Promise<void> {
  await waitFor(
    `schema registry at ${settings.registry.url}`,
    async () => ((await registryAnswersOnce(settings.registry.url)) ? true : undefined),
    { timeoutMs, ...(alive ? { alive } : {}) },
  );
}

export async function registryAnswers(settings: Settings): Promise<boolean> {
  try {
    return await registryAnswersOnce(settings.registry.url);
  } catch {
    return false;
  }
}
