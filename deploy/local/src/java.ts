import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { MissingPrerequisite } from "./failure.js";

const run = promisify(execFile);

/** The major version a java binary reports (`1.8` counts as 8), or undefined when it does not run. */
export async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const { stderr, stdout } = await run(java, ["-version"], { timeout: 15_000 });
    const match = /version "(?:1\.)?(\d+)/.exec(`${stderr}\n${stdout}`);
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JAVA_HOME, when set, must hold a Java that runs: a typo there would otherwise show up later as
 * a puzzling failure of Kafka or the registry.
 */
async function javaFromJavaHome(component: string): Promise<{ java: string; major: number } | undefined> {
  const home = process.env.JAVA_HOME?.trim();
  if (!home) return undefined;
  const java = join(home, "bin", "java");
  const major = existsSync(java) ? await javaMajor(java) : undefined;
  if (major === undefined) {
    throw new MissingPrerequisite(
      component,
      `JAVA_HOME is ${home}, which holds no Java that runs (no working bin/java); point JAVA_HOME at a Java 17+ installation or unset it`,
    );
  }
  return { java, major };
}

/** The Java that runs Kafka: JAVA_HOME's when set, else `java` on PATH; it must be 17 or later. */
export async function findKafkaJava(): Promise<string> {
  const fromHome = await javaFromJavaHome("kafka");
  if (fromHome) {
    if (fromHome.major < 17) {
      throw new MissingPrerequisite(
        "kafka",
        `Kafka 4.1 needs Java 17 or later, and JAVA_HOME's is Java ${fromHome.major}; point JAVA_HOME at Java 17+ (apt-get install openjdk-17-jre-headless)`,
      );
    }
    return fromHome.java;
  }
  const major = await javaMajor("java");
  if (major === undefined) {
    throw new MissingPrerequisite(
      "kafka",
      "Kafka 4.1 needs Java 17 or later, and no `java` was found on PATH; install one (apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
    );
  }
  if (major < 17) {
    throw new MissingPrerequisite(
      "kafka",
      `Kafka 4.1 needs Java 17 or later, and the \`java\` on PATH is Java ${major}; install Java 17+ or set JAVA_HOME`,
    );
  }
  return "java";
}

/**
 * The Java that runs the registry (Apicurio 3.3 needs 21+), which the machine's default often is
 * not: STOCKSAGA_REGISTRY_JAVA, then JAVA_HOME, then every JDK under /usr/lib/jvm, then PATH.
 */
export async function findRegistryJava(explicit: string | undefined): Promise<string> {
  const MIN = 21;
  if (explicit !== undefined) {
    const major = existsSync(explicit) || explicit === "java" ? await javaMajor(explicit) : undefined;
    if (major === undefined || major < MIN) {
      throw new MissingPrerequisite(
        "registry",
        `STOCKSAGA_REGISTRY_JAVA is ${explicit}, which is ${major === undefined ? "not a Java that runs" : `Java ${major}`}; the registry needs Java ${MIN} or later`,
      );
    }
    return explicit;
  }
  const fromHome = await javaFromJavaHome("registry");
  if (fromHome && fromHome.major >= MIN) return fromHome.java;
  const installed = existsSync("/usr/lib/jvm")
    ? readdirSync("/usr/lib/jvm")
        .sort()
        .reverse()
        .map((name) => join("/usr/lib/jvm", name, "bin", "java"))
        .filter((java) => existsSync(java))
    : [];
  for (const candidate of [...installed, "java"]) {
    const major = await javaMajor(candidate);
    if (major !== undefined && major >= MIN) return candidate;
  }
  throw new MissingPrerequisite(
    "registry",
    `Apicurio Registry 3.3 needs Java ${MIN} or later, and none was found (looked at JAVA_HOME, /usr/lib/jvm/*, PATH); install one (e.g. Temurin 21) or set STOCKSAGA_REGISTRY_JAVA to its bin/java`,
  );
}
