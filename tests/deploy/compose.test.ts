import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ComposeCommand, composeV2, settings } from "@stocksaga/deploy/stack";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * deploy/compose.yaml, checked with Docker Compose itself. `docker compose config` only parses,
 * validates and interpolates the file: it needs no Docker engine. It does need Compose v2, and
 * when that is missing these tests fail (they are not skipped) and say so.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const composeFile = "deploy/compose.yaml";
const dummySecret = "test-only-secret-0123456789abcdefghijklmnop";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Run {
  const result = spawnSync(command, args, { cwd: repoRoot, env, encoding: "utf8", timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code !== "ENOENT") throw result.error;
  return {
    status: result.error ? null : result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
  };
}

let composeCommand: ComposeCommand | undefined;

/** `docker compose`: the machine's plugin, or Compose v2 fetched once into the stack's cache. */
beforeAll(async () => {
  composeCommand = await composeV2(settings, (line) => console.log(`[compose] ${line}`));
}, 600_000);

function compose(): ComposeCommand {
  if (!composeCommand)
    throw new Error("Docker Compose v2 could not be found or fetched (see the error above)");
  return composeCommand;
}

/** Runs `docker compose -f deploy/compose.yaml <args>` with a controlled environment. */
function composeConfig(args: readonly string[], secret: string | undefined): Run {
  const {
    command: [command, ...prefix],
    env: composeEnv,
  } = compose();
  const env: NodeJS.ProcessEnv = { ...process.env, ...composeEnv };
  delete env.AUTH_JWT_SECRET;
  delete env.COMPOSE_FILE;
  delete env.COMPOSE_PROFILES;
  if (secret !== undefined) env.AUTH_JWT_SECRET = secret;
  // --env-file /dev/null: a developer's deploy/.env must not change what is tested.
  return run(
    command as string,
    [...prefix, "--env-file", "/dev/null", "-f", composeFile, "config", ...args],
    env,
  );
}

interface ComposeService {
  image?: string;
  build?: { target?: string };
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | null>;
  command?: string[] | string;
  volumes?: { source?: string; target?: string; read_only?: boolean }[];
}

function parsedConfig(): { services: Record<string, ComposeService> } {
  const result = composeConfig(["--format", "json"], dummySecret);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe("deploy/compose.yaml", () => {
  it("is valid for `docker compose config --quiet` when AUTH_JWT_SECRET is set", () => {
    const result = composeConfig(["--quiet"], dummySecret);
    expect(result.status, result.stderr).toBe(0);
  });

  it("requires AUTH_JWT_SECRET from the environment: no secret is committed", () => {
    const result = composeConfig(["--quiet"], undefined);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("AUTH_JWT_SECRET");
    const { services } = parsedConfig();
    expect(services.order?.environment?.AUTH_JWT_SECRET).toBe(dummySecret);
    expect(services.inventory?.environment?.AUTH_JWT_SECRET).toBe(dummySecret);
  });

  it("gives Kafka, the registry, PostgreSQL and both services a healthcheck", () => {
    const { services } = parsedConfig();
    for (const name of ["kafka", "registry", "postgres", "order", "inventory"]) {
      const healthcheck = services[name]?.healthcheck;
      expect(healthcheck, `${name} has no healthcheck`).toBeDefined();
      expect(healthcheck?.disable ?? false, `${name}: healthcheck disabled`).toBe(false);
      expect(healthcheck?.test?.[0], `${name}: healthcheck test`).toMatch(/^CMD(-SHELL)?$/);
    }
    for (const name of ["order", "inventory"]) {
      expect(services[name]?.healthcheck?.test, `${name} probes readiness`).toContain("ready");
    }
  });

  it("starts the services only after healthy infrastructure, created topics and a finished migrate", () => {
    const { services } = parsedConfig();
    for (const name of ["order", "inventory"]) {
      const dependsOn = services[name]?.depends_on ?? {};
      for (const infrastructure of ["kafka", "registry", "postgres"]) {
        expect(dependsOn[infrastructure]?.condition, `${name} → ${infrastructure}`).toBe("service_healthy");
      }
      for (const oneShot of ["kafka-init", "migrate"]) {
        expect(dependsOn[oneShot]?.condition, `${name} → ${oneShot}`).toBe("service_completed_successfully");
      }
    }
    expect(services.migrate?.build?.target).toBe("migrate");
    expect(services.migrate?.depends_on?.registry?.condition).toBe("service_healthy");
    expect(services.migrate?.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(services.registry?.depends_on?.postgres?.condition).toBe("service_healthy");
  });

  it("runs Kafka as one KRaft node without auto-created topics, and creates the saga's topics", () => {
    const { services } = parsedConfig();
    const kafka = services.kafka?.environment ?? {};
    expect(services.kafka?.image).toBe("apache/kafka:4.1.1");
    expect(kafka.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe("false");
    expect(kafka.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS).toBe("0");
    expect(kafka.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe("1");
    const script = [services["kafka-init"]?.command ?? []].flat().join("\n");
    for (const topic of ["order-events:6", "reservation-events:6", "stock-events:3", "dead-letters:3"]) {
      expect(script, topic).toContain(topic);
    }
    const registry = services.registry?.environment ?? {};
    expect(services.registry?.image).toBe("apicurio/apicurio-registry:3.3.3");
    expect(registry.APICURIO_STORAGE_KIND).toBe("sql");
    expect(registry.APICURIO_STORAGE_SQL_KIND).toBe("postgresql");
  });

  it("runs Jaeger with OTLP enabled, and both services send it their traces", () => {
    const { services } = parsedConfig();
    expect(services.jaeger?.image).toMatch(/^jaegertracing\/all-in-one:1\.\d+\.\d+$/);
    expect(services.jaeger?.environment?.COLLECTOR_OTLP_ENABLED).toBe("true");
    for (const name of ["order", "inventory"]) {
      expect(services[name]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe("http://jaeger:4318");
    }
  });

  it("runs Prometheus with the scrape config and alert rules, and Grafana provisioned with the dashboard", () => {
    const { services } = parsedConfig();
    const mounts = (name: string) =>
      Object.fromEntries(
        (services[name]?.volumes ?? []).map((v) => [v.target, v.source?.replace(`${repoRoot}/`, "")]),
      );
    expect(mounts("prometheus")).toMatchObject({
      "/etc/prometheus/prometheus.yml": "deploy/observability/prometheus/prometheus.yml",
      "/etc/prometheus/alerts.yml": "deploy/observability/prometheus/alerts.yml",
    });
    expect([services.prometheus?.command ?? []].flat()).toContain(
      "--config.file=/etc/prometheus/prometheus.yml",
    );
    expect(mounts("grafana")).toMatchObject({
      "/etc/grafana/provisioning": "deploy/observability/grafana/provisioning",
      "/var/lib/grafana/dashboards": "deploy/observability/grafana/dashboards",
    });
    expect(services.grafana?.depends_on?.prometheus?.condition).toBe("service_healthy");
  });
});
