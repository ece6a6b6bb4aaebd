import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Settings } from "./settings.js";

const run = promisify(execFile);

export interface ComposeCommand {
  command: readonly string[];
  env: Record<string, string>;
}

async function answers(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  try {
    await run(command, [...args], { env, timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Docker Compose v2, for checking deploy/compose.yaml (`config` needs no engine). When the
 * machine's docker client lacks the plugin, the Compose v2 plugin is taken from Debian's own
 * archive (Debian 13 packages it; its static binary runs on Debian 12) into the stack's cache,
 * and used through DOCKER_CONFIG, so nothing outside the cache changes.
 */
export async function composeV2(
  settings: Settings,
  log: (line: string) => void = () => {},
): Promise<ComposeCommand> {
  if (await answers("docker", ["compose", "version"])) return { command: ["docker", "compose"], env: {} };
  const dockerConfig = join(settings.cacheDir, "docker-cli");
  const plugin = join(dockerConfig, "cli-plugins", "docker-compose");
  const env = { DOCKER_CONFIG: dockerConfig };
  if (!existsSync(plugin)) await fetchFromDebian(plugin, log);
  if (await answers("docker", ["compose", "version"], { ...process.env, ...env })) {
    return { command: ["docker", "compose"], env };
  }
  throw new Error(`Docker Compose v2 is not available: \`docker compose version\` fails even with ${plugin}`);
}

async function fetchFromDebian(plugin: string, log: (line: string) => void): Promise<void> {
  if (!(await answers("apt-get", ["--version"])) || !(await answers("dpkg-deb", ["--version"]))) {
    throw new Error(
      "Docker Compose v2 is missing, and without apt-get and dpkg-deb it cannot be fetched; install it",
    );
  }
  log("fetching the Docker Compose v2 plugin from Debian's archive (first run only)");
  const work = mkdtempSync(join(tmpdir(), "stocksaga-compose-"));
  try {
    const sources = join(work, "sources.list");
    writeFileSync(
      sources,
      "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n",
    );
    for (const dir of ["lists/partial", "cache/archives/partial"])
      mkdirSync(join(work, dir), { recursive: true });
    const apt = [
      "-o",
      `Dir::Etc::SourceList=${sources}`,
      "-o",
      "Dir::Etc::SourceParts=-",
      "-o",
      `Dir::State::Lists=${join(work, "lists")}`,
      "-o",
      `Dir::Cache=${join(work, "cache")}`,
      "-o",
      "APT::Sandbox::User=root",
    ];
    await run("apt-get", [...apt, "-qq", "update"], { timeout: 300_000 });
    await run("apt-get", [...apt, "-qq", "download", "docker-compose"], { cwd: work, timeout: 300_000 });
    const deb = readdirSync(work).find((f) => f.startsWith("docker-compose_") && f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download docker-compose produced no package");
    await run("dpkg-deb", ["-x", join(work, deb), join(work, "root")]);
    const extracted = join(work, "root/usr/libexec/docker/cli-plugins/docker-compose");
    if (!existsSync(extracted)) throw new Error(`${deb} holds no cli-plugins/docker-compose`);
    mkdirSync(join(plugin, ".."), { recursive: true });
    copyFileSync(extracted, plugin);
    chmodSync(plugin, 0o755);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
