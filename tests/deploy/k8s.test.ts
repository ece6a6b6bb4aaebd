import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as apps from "kubernetes-models/apps/v1";
import * as batch from "kubernetes-models/batch/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as core from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseYamlDocuments, type YamlValue } from "./yaml.js";

/**
 * The Kubernetes API's own schemas (kubernetes-models: the OpenAPI definitions of Kubernetes
 * 1.27, compiled to JSON-schema validators with ajv), for the API groups the manifests use.
 * Undefined for a kind that is no API object of those groups.
 */
const API_GROUPS: Record<string, Record<string, unknown>> = {
  v1: core,
  "apps/v1": apps,
  "batch/v1": batch,
  "policy/v1": policy,
};

function apiValidator(apiVersion: string, kind: string): ((manifest: unknown) => void) | undefined {
  const Model = API_GROUPS[apiVersion]?.[kind] as (new (data: unknown) => { validate(): void }) | undefined;
  return typeof Model === "function" ? (manifest) => new Model(manifest).validate() : undefined;
}

/**
 * Static checks of deploy/k8s without kubectl or a cluster: every file parses, kustomize's
 * resource list matches the folder, and the workloads keep the properties the services rely on.
 */

const k8sDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../deploy/k8s");

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped documents, checked field by field below.
type Manifest = Record<string, any>;

interface ManifestDocument {
  file: string;
  manifest: Manifest;
}

const files = readdirSync(k8sDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

function isObject(value: YamlValue): value is { [key: string]: YamlValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function documentsOf(file: string): ManifestDocument[] {
  return parseYamlDocuments(readFileSync(join(k8sDir, file), "utf8"), `deploy/k8s/${file}`)
    .filter((document) => document !== null)
    .map((document) => {
      if (!isObject(document)) throw new Error(`deploy/k8s/${file}: a document is not a mapping`);
      return { file, manifest: document as Manifest };
    });
}

const all = (): ManifestDocument[] => files.flatMap(documentsOf);
const ofKind = (kind: string) => all().filter(({ manifest }) => manifest.kind === kind);

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

describe("deploy/k8s", () => {
  it("has manifests, and every file parses as YAML into objects with apiVersion and kind", () => {
    expect(files).toContain("kustomization.yaml");
    for (const file of files) {
      const documents = documentsOf(file);
      expect(documents.length, `${file} has no document`).toBeGreaterThan(0);
      for (const { manifest } of documents) {
        expect(typeof manifest.apiVersion, `${file}: apiVersion`).toBe("string");
        expect(typeof manifest.kind, `${file}: kind`).toBe("string");
      }
    }
  });

  it("is valid against the Kubernetes API schemas, every object of every file", async () => {
    const checked: string[] = [];
    for (const { file, manifest } of all()) {
      if (manifest.kind === "Kustomization") continue;
      const validate = apiValidator(manifest.apiVersion, manifest.kind);
      expect(validate, `${file}: ${manifest.apiVersion} ${manifest.kind} has no API schema`).toBeDefined();
      expect(
        () => validate?.(manifest),
        `${file}: ${manifest.kind} ${manifest.metadata?.name}`,
      ).not.toThrow();
      checked.push(manifest.kind);
    }
    expect(new Set(checked)).toEqual(
      new Set(["Namespace", "ConfigMap", "Job", "Deployment", "Service", "PodDisruptionBudget", "Secret"]),
    );
  });

  it("has schemas that do refuse a broken manifest", async () => {
    const [order] = ofKind("Deployment");
    const validate = apiValidator("apps/v1", "Deployment");
    const broken = structuredClone(order?.manifest ?? {});
    broken.spec.template.spec.containers[0].ports[0].containerPort = "http";
    broken.spec.template.spec.containers[0].resources.requests.cpu = "a lot";
    expect(() => validate?.(order?.manifest)).not.toThrow();
    expect(() => validate?.(broken)).toThrow(/containerPort must be integer/);
    expect(() => validate?.(broken)).toThrow(/cpu must match format "quantity"/);
  });

  it("lists every manifest in kustomization.yaml, except the Secret template", () => {
    const [kustomization] = documentsOf("kustomization.yaml");
    const resources: string[] = kustomization?.manifest.resources ?? [];
    for (const resource of resources) expect(existsSync(join(k8sDir, resource)), resource).toBe(true);
    const manifests = files.filter((file) => file !== "kustomization.yaml" && !file.includes(".template."));
    expect([...resources].sort()).toEqual(manifests);
    expect(resources.some((resource) => resource.includes(".template."))).toBe(false);
  });

  it("commits no secret value: the only Secret is the template, with placeholders", () => {
    const secrets = ofKind("Secret");
    expect(secrets.map(({ file }) => file)).toEqual(["secret.template.yaml"]);
    const template = secrets[0]?.manifest ?? {};
    expect(template.data).toBeUndefined();
    const values = Object.values(template.stringData ?? {}) as string[];
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).toContain("CHANGE-ME");
    // The JWT placeholder must be too short for the services to accept (they require 32+).
    expect(String(template.stringData.AUTH_JWT_SECRET).length).toBeLessThan(32);
  });

  it("runs each service as a Deployment with probes, limits, a hardened pod and graceful shutdown", () => {
    const deployments = ofKind("Deployment");
    expect(deployments.map(({ manifest }) => manifest.metadata.name).sort()).toEqual(["inventory", "order"]);
    for (const { file, manifest } of deployments) {
      const name = manifest.metadata.name;
      const pod = manifest.spec.template.spec;
      expect(manifest.spec.replicas, `${name}: replicas`).toBeGreaterThanOrEqual(2);
      expect(matches(manifest.spec.selector.matchLabels, manifest.spec.template.metadata.labels)).toBe(true);
      expect(pod.terminationGracePeriodSeconds, `${name}: grace period`).toBe(30);
      expect(pod.enableServiceLinks, `${name}: service links clash with *_SERVICE_PORT`).toBe(false);
      expect(pod.securityContext.runAsNonRoot, `${name}: runAsNonRoot`).toBe(true);
      for (const container of pod.containers as Manifest[]) {
        const where = `${file} ${name}/${container.name}`;
        const ports: Manifest[] = container.ports ?? [];
        const declared = (port: string | number) =>
          ports.some((p) => p.name === port || p.containerPort === port);
        expect(container.readinessProbe?.httpGet?.path, `${where}: readiness`).toBe("/health/ready");
        expect(container.livenessProbe?.httpGet?.path, `${where}: liveness`).toBe("/health/live");
        expect(declared(container.readinessProbe.httpGet.port), `${where}: readiness port`).toBe(true);
        expect(declared(container.livenessProbe.httpGet.port), `${where}: liveness port`).toBe(true);
        for (const kind of ["requests", "limits"]) {
          expect(container.resources?.[kind]?.memory, `${where}: memory ${kind}`).toBeTypeOf("string");
          expect(container.resources?.[kind]?.cpu, `${where}: cpu ${kind}`).toBeTypeOf("string");
        }
        expect(container.securityContext?.readOnlyRootFilesystem, `${where}: read-only root`).toBe(true);
        expect(container.securityContext?.allowPrivilegeEscalation, `${where}: escalation`).toBe(false);
        expect(container.command, `${where}: entry point`).toEqual(["node", `services/${name}/dist/main.js`]);
      }
    }
  });

  it("gives each Deployment a Service and a PodDisruptionBudget that select its pods", () => {
    const services = ofKind("Service").map(({ manifest }) => manifest);
    const budgets = ofKind("PodDisruptionBudget").map(({ manifest }) => manifest);
    for (const { manifest } of ofKind("Deployment")) {
      const labels = manifest.spec.template.metadata.labels;
      const name = manifest.metadata.name;
      expect(
        services.some((s) => matches(s.spec.selector, labels)),
        `${name}: Service`,
      ).toBe(true);
      const budget = budgets.find((b) => matches(b.spec.selector.matchLabels, labels));
      expect(budget, `${name}: PodDisruptionBudget`).toBeDefined();
      expect(budget?.spec.minAvailable ?? 0, `${name}: minAvailable`).toBeLessThan(manifest.spec.replicas);
    }
  });

  it("has a migrate Job, and every ConfigMap/Secret key a workload reads is defined", () => {
    expect(ofKind("Job").map(({ manifest }) => manifest.metadata.name)).toEqual(["stocksaga-migrate"]);
    const configMaps = new Map(
      ofKind("ConfigMap").map(({ manifest }) => [manifest.metadata.name, manifest.data]),
    );
    const secrets = new Map(
      ofKind("Secret").map(({ manifest }) => [manifest.metadata.name, manifest.stringData]),
    );
    for (const { manifest } of [...ofKind("Deployment"), ...ofKind("Job")]) {
      for (const container of manifest.spec.template.spec.containers as Manifest[]) {
        for (const source of container.envFrom ?? []) {
          expect(configMaps.has(source.configMapRef?.name), `envFrom ${source.configMapRef?.name}`).toBe(
            true,
          );
        }
        for (const variable of container.env ?? []) {
          const fromConfig = variable.valueFrom?.configMapKeyRef;
          const fromSecret = variable.valueFrom?.secretKeyRef;
          if (fromConfig)
            expect(configMaps.get(fromConfig.name), variable.name).toHaveProperty(fromConfig.key);
          if (fromSecret) expect(secrets.get(fromSecret.name), variable.name).toHaveProperty(fromSecret.key);
        }
      }
    }
    const config = configMaps.get("stocksaga-config");
    for (const key of [
      "KAFKA_BROKERS",
      "SCHEMA_REGISTRY_URL",
      "ORDER_SERVICE_PORT",
      "INVENTORY_SERVICE_PORT",
    ]) {
      expect(config, key).toHaveProperty(key);
    }
  });

  it("asks Prometheus to scrape each service's /metrics on its container port", () => {
    const deployments = ofKind("Deployment");
    expect(deployments.length).toBeGreaterThan(0);
    for (const { manifest } of deployments) {
      const annotations = manifest.spec.template.metadata.annotations ?? {};
      const ports = (manifest.spec.template.spec.containers as Manifest[]).flatMap((c) =>
        (c.ports ?? []).map((p: Manifest) => String(p.containerPort)),
      );
      expect(annotations["prometheus.io/scrape"], manifest.metadata.name).toBe("true");
      expect(annotations["prometheus.io/path"], manifest.metadata.name).toBe("/metrics");
      expect(ports, manifest.metadata.name).toContain(annotations["prometheus.io/port"]);
    }
  });
});
