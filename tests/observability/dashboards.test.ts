import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parser } from "@prometheus-io/lezer-promql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { eventually, FINAL, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

/**
 * deploy/observability against the services as they run: every metric a dashboard panel or an
 * alert rule queries must be one the services expose, or the panel stays empty and the alert
 * never fires, silently.
 */

const observability = resolve(dirname(fileURLToPath(import.meta.url)), "../../deploy/observability");
const read = (path: string) => readFileSync(resolve(observability, path), "utf8");

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

const dashboard = JSON.parse(read("grafana/dashboards/stocksaga.json")) as { uid: string; panels: Panel[] };
const rules = (parseYaml(read("prometheus/alerts.yml")) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);
const queries: { source: string; expr: string }[] = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ source: `panel "${panel.title}"`, expr: target.expr })),
  ),
  ...rules.map((rule) => ({ source: `alert ${rule.alert}`, expr: rule.expr })),
];

interface Selector {
  metric: string;
  labels: string[];
}

/** The metric and matched label names of every vector selector, read by Prometheus' own PromQL grammar. */
function selectorsOf(expr: string): { selectors: Selector[]; errors: string[] } {
  // Grafana's interval variables are not PromQL: stand in a duration for them.
  const promql = expr.replaceAll(/\$__(rate_)?interval|\$__range/g, "5m");
  const selectors: Selector[] = [];
  const errors: string[] = [];
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`syntax error at ${node.from}: ${promql.slice(node.from, node.from + 30)}`);
      if (node.name !== "VectorSelector") return;
      const identifier = node.node.getChild("Identifier");
      const labels = node.node
        .getChild("LabelMatchers")
        ?.getChildren("UnquotedLabelMatcher")
        .map((matcher) => matcher.getChild("LabelName"))
        .map((label) => (label ? promql.slice(label.from, label.to) : ""));
      if (identifier)
        selectors.push({ metric: promql.slice(identifier.from, identifier.to), labels: labels ?? [] });
    },
  });
  return { selectors, errors };
}

interface Exposition {
  /** Each family's type, from its `# TYPE` line. */
  types: Map<string, string>;
  /** Each sample name's label names seen. */
  samples: Map<string, Set<string>>;
}

function parseExposition(text: string, into: Exposition): void {
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) into.types.set(type[1], type[2]);
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample?.[1]) throw new Error(`not a sample: ${line}`);
    const labels = into.samples.get(sample[1]) ?? new Set<string>();
    for (const [, name] of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      if (name) labels.add(name);
    into.samples.set(sample[1], labels);
  }
}

/** The family a sample name belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
function familyOf(metric: string, types: Map<string, string>): string | undefined {
  if (types.has(metric)) return metric;
  const base = metric.replace(/_(bucket|sum|count)$/, "");
  return types.get(base) === "histogram" || types.get(base) === "summary" ? base : undefined;
}

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(["job", "instance"]);

describe("dashboards and alert rules query what the services expose", () => {
  let system: TestSystem;
  const exposed: Exposition = { types: new Map(), samples: new Map() };

  beforeAll(async () => {
    system = await TestSystem.start();
    const admin = system.client(`dash-admin-${randomUUID()}`, { admin: true });
    const customer = system.client(`dash-customer-${randomUUID()}`);
    const sku = uniqueSku("DASH");
    await admin.createProduct(sku, 5);
    const placed = await customer.placeOrder([{ sku, quantity: 2 }]);
    expect(placed.status).toBe(202);
    expect(FINAL).toContain((await customer.orderReaching(placed.body.orderId)).status);
    // The saga histogram gets its series once the decision is committed; then scrape both services.
    await eventually("a saga duration on /metrics", async () => {
      const text = await (await fetch(`${system.url("order")}/metrics`)).text();
      return text.includes("stocksaga_saga_duration_seconds_bucket{") ? text : undefined;
    });
    for (const service of ["order", "inventory"] as const) {
      const response = await fetch(`${system.url(service)}/metrics`);
      expect(response.status).toBe(200);
      parseExposition(await response.text(), exposed);
    }
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("has a dashboard and rules covering outcomes, latency, HTTP, lag, outbox, dead letters and refusals", () => {
    const metrics = new Set(queries.flatMap(({ expr }) => selectorsOf(expr).selectors.map((s) => s.metric)));
    for (const metric of [
      "stocksaga_saga_decisions_total",
      "stocksaga_saga_duration_seconds_bucket",
      "stocksaga_http_request_duration_seconds_bucket",
      "stocksaga_http_request_duration_seconds_count",
      "stocksaga_consumer_lag_messages",
      "stocksaga_outbox_backlog_events",
      "stocksaga_dead_letters_total",
      "stocksaga_admission_refusals_total",
    ]) {
      expect(metrics, metric).toContain(metric);
    }
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        "StocksagaConsumerLagGrowing",
        "StocksagaOutboxStalled",
        "StocksagaDeadLettersAppearing",
        "StocksagaSagaSlow",
      ]),
    );
  });

  it("parses every query as PromQL", () => {
    expect(queries.length).toBeGreaterThan(15);
    for (const { source, expr } of queries) {
      const { selectors, errors } = selectorsOf(expr);
      expect(errors, `${source}: ${expr}`).toEqual([]);
      expect(selectors.length, `${source} selects no metric`).toBeGreaterThan(0);
    }
  });

  it("queries only metrics the services expose, with labels they carry", () => {
    const unknown: string[] = [];
    for (const { source, expr } of queries) {
      for (const { metric, labels } of selectorsOf(expr).selectors) {
        const family = familyOf(metric, exposed.types);
        if (!family) {
          unknown.push(`${source}: ${metric} is on neither service's /metrics`);
          continue;
        }
        const seen = exposed.samples.get(metric);
        // A labelled counter nothing has counted yet (no dead letter, no refusal) has no sample to read labels from.
        for (const label of seen ? labels.filter((l) => !TARGET_LABELS.has(l) && !seen.has(l)) : []) {
          unknown.push(`${source}: ${metric} has no label ${label}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it("finds samples, not just declarations, for what one order moves", () => {
    for (const metric of [
      "stocksaga_saga_decisions_total",
      "stocksaga_saga_duration_seconds_bucket",
      "stocksaga_http_request_duration_seconds_bucket",
      "stocksaga_outbox_backlog_events",
      "stocksaga_consumer_lag_messages",
      "stocksaga_events_produced_total",
    ]) {
      expect(exposed.samples.has(metric), metric).toBe(true);
    }
  });
});
