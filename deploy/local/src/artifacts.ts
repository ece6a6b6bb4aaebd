import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { KAFKA_VERSION, REGISTRY_VERSION, type Settings } from "./settings.js";

const run = promisify(execFile);

async function maven(settings: Settings, args: string[]): Promise<void> {
  try {
    await run("mvn", ["-q", "-B", "-f", settings.pomFile, ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = error instanceof Error && "stdout" in error ? String(error.stdout) : "";
    throw new Error(`Maven failed (mvn ${args.join(" ")}).\n${output.slice(-2000)}`);
  }
}

/** Downloads into a sibling temp folder and renames, so an interrupted fetch never looks complete. */
async function intoCache(target: string, fetch: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await fetch(tmp);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function ensureKafkaLibs(settings: Settings, log: (line: string) => void): Promise<void> {
  if (existsSync(join(settings.kafka.libDir, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  log(`fetching Apache Kafka ${KAFKA_VERSION} and its dependencies from Maven Central (first run only)`);
  await intoCache(settings.kafka.libDir, (tmp) =>
    maven(settings, ["dependency:copy-dependencies", `-DoutputDirectory=${tmp}`]),
  );
}

export async function ensureRegistryDist(settings: Settings, log: (line: string) => void): Promise<void> {
  if (existsSync(join(settings.registry.distDir, "quarkus-run.jar"))) return;
  log(`fetching Apicurio Registry ${REGISTRY_VERSION} from Maven Central (first run only)`);
  await intoCache(settings.registry.distDir, async (tmp) => {
    const archiveDir = join(tmp, ".archive");
    await maven(settings, [
      "dependency:copy",
      `-Dartifact=io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${archiveDir}`,
    ]);
    const archive = join(archiveDir, `apicurio-registry-app-${REGISTRY_VERSION}-all.tar.gz`);
    await run("tar", ["-xzf", archive, "-C", tmp]);
    rmSync(archiveDir, { recursive: true, force: true });
  });
}
