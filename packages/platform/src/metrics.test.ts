import { Writable } from "node:stream";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createHttpApp, type RequestVariables } from "./http.js";
import { createLogger } from "./logger.js";
import { createMetricsRegistry, httpMetrics, metricsHandler, type Registry } from "./metrics.js";
import { ProblemError } from "./problem.js";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));

type Env = { Variables: RequestVariables };

function appWith(registry: Registry) {
  const app = createHttpApp<Env>({ logger: silent, onResponse: httpMetrics(registry) });
  const orders = new Hono<Env>();
  orders.use("*", async (c, next) => {
    if (c.req.header("authorization") !== "Bearer ok") throw new ProblemError("unauthenticated");
    await next();
  });
  orders.post("/", (c) => c.json({}, 202));
  orders.get("/:orderId", (c) => c.json({ orderId: c.req.param("orderId") }));
  app.route("/orders", orders);
  app.get("/metrics", metricsHandler(registry));
  return app;
}

type Sample = { metricName?: string; labels: Record<string, string | number | undefined>; value: number };

/** Histograms name each sample (`_bucket`, `_sum`, `_count`); prom-client's types leave that out. */
async function samplesOf(metric: { get: () => Promise<{ values: unknown[] }> }): Promise<Sample[]> {
  return (await metric.get()).values as Sample[];
}

async function durationCounts(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric("stocksaga_http_request_duration_seconds");
  if (!metric) throw new Error("no HTTP duration histogram");
  const counts: Record<string, number> = {};
  for (const sample of await samplesOf(metric)) {
    if (sample.metricName !== "stocksaga_http_request_duration_seconds_count") continue;
    const { method, route, status } = sample.labels;
    counts[`${method} ${route} ${status}`] = sample.value;
  }
  return counts;
}

describe("HTTP metrics", () => {
  it("labels requests by route pattern, never by raw path", async () => {
    const registry = createMetricsRegistry();
    const app = appWith(registry);
    const auth = { authorization: "Bearer ok" };
    await app.request("/orders", { method: "POST", headers: auth });
    await app.request("/orders/3f0c1a52-2b7e-4a51-9d43-0c1f2e3a4b5c", { headers: auth });
    await app.request("/orders/8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d", { headers: auth });

    expect(await durationCounts(registry)).toEqual({
      "POST /orders 202": 1,
      "GET /orders/:orderId 200": 2,
    });
  });

  it("names the route a middleware refused, and groups requests that matched nothing", async () => {
    const registry = createMetricsRegistry();
    const app = appWith(registry);
    await app.request("/orders/3f0c1a52-2b7e-4a51-9d43-0c1f2e3a4b5c");
    await app.request("/no/such/thing/1");
    await app.request("/no/such/thing/2", { method: "PROPFIND" });

    expect(await durationCounts(registry)).toEqual({
      "GET /orders/:orderId 401": 1,
      "GET unmatched 404": 1,
      "OTHER unmatched 404": 1,
    });
  });

  it("observes the duration in seconds", async () => {
    const registry = createMetricsRegistry();
    const observe = httpMetrics(registry);
    const app = new Hono();
    app.use("*", async (c, next) => {
      await next();
      observe(c, 250);
    });
    app.get("/x", (c) => c.text("x"));
    await app.request("/x");
    const metric = registry.getSingleMetric("stocksaga_http_request_duration_seconds");
    if (!metric) throw new Error("no HTTP duration histogram");
    const sum = (await samplesOf(metric)).find(
      (v) => v.metricName === "stocksaga_http_request_duration_seconds_sum",
    );
    expect(sum?.value).toBe(0.25);
  });
});

describe("GET /metrics", () => {
  it("serves the Prometheus text format with process metrics, without a token", async () => {
    const registry = createMetricsRegistry();
    const app = appWith(registry);
    await app.request("/orders", { method: "POST", headers: { authorization: "Bearer ok" } });

    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(
      /^stocksaga_http_request_duration_seconds_count\{method="POST",route="\/orders",status="202"\} 1$/m,
    );
  });

  it("keeps one process's registries apart", async () => {
    const [a, b] = [createMetricsRegistry(), createMetricsRegistry()];
    appWith(b);
    await appWith(a).request("/orders", { method: "POST", headers: { authorization: "Bearer ok" } });
    expect(await durationCounts(a)).toEqual({ "POST /orders 202": 1 });
    expect(await durationCounts(b)).toEqual({});
  });
});
