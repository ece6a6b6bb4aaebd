import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { topicsToCreate } from "@stocksaga/contracts";
import { describe, expect, it } from "vitest";
import { parseYamlDocuments } from "./yaml.js";

/**
 * The topic settings live in one place, topicsToCreate of packages/contracts: the local stack and
 * the migrate step call it; the compose file's one-shot kafka-init spells them out, and k8s names
 * the broker count they follow. These tests hold the copies to the original.
 */

const deployDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../deploy");
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped documents, checked field by field below.
type Manifest = Record<string, any>;
const documents = (file: string) =>
  parseYamlDocuments(readFileSync(resolve(deployDir, file), "utf8"), file) as Manifest[];

const specOf = (creation: ReturnType<typeof topicsToCreate>[number]) => {
  const config = (name: string) => creation.configEntries.find((entry) => entry.name === name)?.value;
  return [
    creation.topic,
    creation.numPartitions,
    creation.replicationFactor,
    config("min.insync.replicas"),
    config("retention.ms"),
  ].join(":");
};

describe("topic settings outside the code", () => {
  it("compose creates exactly the topics of the contracts, as for one broker", () => {
    const [compose] = documents("compose.yaml");
    const script = [compose?.services["kafka-init"].command].flat().join("\n");
    const specs = /for spec in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    expect(specs).toEqual(topicsToCreate({}, 1).map(specOf));
    // Every field of a spec reaches kafka-topics.sh.
    for (const option of ["--partitions", "--replication-factor", "min.insync.replicas=", "retention.ms="])
      expect(script, option).toContain(option);
    expect(compose?.services.kafka.environment.KAFKA_MIN_INSYNC_REPLICAS).toBe("1");
  });

  it("k8s creates the topics in the migrate Job, replicated for the broker count of the ConfigMap", () => {
    const config = documents("k8s/configmap.yaml").find((document) => document?.kind === "ConfigMap");
    const brokers = Number(config?.data.STOCKSAGA_KAFKA_BROKER_COUNT);
    expect(brokers).toBeGreaterThanOrEqual(3);
    for (const topic of topicsToCreate({}, brokers)) {
      expect(topic.replicationFactor, topic.topic).toBe(3);
      expect(topic.configEntries, topic.topic).toContainEqual({ name: "min.insync.replicas", value: "2" });
    }
    const [job] = documents("k8s/migrate-job.yaml");
    const env = job?.spec.template.spec.containers[0].env as Manifest[];
    for (const name of ["KAFKA_BROKERS", "STOCKSAGA_KAFKA_BROKER_COUNT"]) {
      expect(env.find((variable) => variable.name === name)?.valueFrom?.configMapKeyRef, name).toEqual({
        name: "stocksaga-config",
        key: name,
      });
    }
    const migrate = readFileSync(resolve(deployDir, "docker/migrate.sh"), "utf8");
    expect(migrate).toContain("npm run kafka:topics --workspace=@stocksaga/deploy");
    const deployPackage = JSON.parse(readFileSync(resolve(deployDir, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(deployPackage.scripts["kafka:topics"]).toMatch(/cli\.ts topics$/);
  });
});
