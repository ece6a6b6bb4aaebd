import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { MissingPrerequisite, StackError } from "./failure.js";
import { KAFKA_VERSION, REGISTRY_VERSION, type Settings } from "./settings.js";

const run = promisify(execFile);

async function maven(component: string, settings: Settings, args: string[]): Promise<void> {
  try {
    await run("mvn", ["-q", "-B", "-f", settings.pomFile, ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = error instanceof Error && "stdout" in error ? String(error.stdout) : "";
    throw new StackError(
      component,
      `could not fetch it from Maven Central (mvn ${args.join(" ")}):\n${output.slice(-2000)}`,
    );
  }
}

export const kafkaLibsPresent = (settings: Settings): boolean =>
  existsSync(join(settings.kafka.libDir, `kafka_2.13-${KAFKA_VERSION}.jar`));

export const registryDistPresent = (settings: Settings): boolean =>
  existsSync(join(settings.registry.distDir, "quarkus-run.jar"));

/** Maven fetches Kafka and the registry the first time; without it, say so before starting anything. */
export async function assertMavenRuns(component: string): Promise<void> {
  try {
    await run("mvn", ["-v"], { timeout: 30_000 });
  } catch {
    throw new MissingPrerequisite(
      component,
      "the first start fetches Kafka and the registry from Maven Central with Maven, and `mvn` was not found on PATH; install Apache Maven 3.8+ (apt-get install maven)",
    );
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
  if (kafkaLibsPresent(settings)) return;
  log(`fetching Apache Kafka ${KAFKA_VERSION} and its dependencies from Maven Central (first run only)`);
  await intoCache(settings.kafka.libDir, (tmp) =>
    maven("kafka", settings, ["dependency:copy-dependencies", `-DoutputDirectory=${tmp}`]),
  );
}

export async function ensureRegistryDist(settings: Settings, log: (line: string) => void): Promise<void> {
  if (registryDistPresent(settings)) return;
  log(`fetching Apicurio Registry ${REGISTRY_VERSION} from Maven Central (first run only)`);
  await intoCache(settings.registry.distDir, async (tmp) => {
    const archiveDir = join(tmp, ".archive");
    await maven("registry", settings, [
      "dependency:copy",
      `-Dartifact=io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${archiveDir}`,
    ]);
    const archive = join(archiveDir, `apicurio-registry-app-${REGISTRY_VERSION}-all.tar.gz`);
    await run("tar", ["-xzf", archive, "-C", tmp]);
    rmSync(archiveDir, { recursive: true, force: true });
  });
}
