import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds; from a cache-warm read (a few ms) to a request that waited on a slow database. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * One registry per service process, holding Node.js process metrics (resident memory, heap,
 * event-loop delay, GC) under their usual names, so standard dashboards and alerts apply as is.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The route pattern a request matched (`/orders/:orderId`), never the raw path, so the label
 * set stays bounded whatever clients send. The first endpoint among the matches is the one that
 * answers, even when a middleware before it (authentication) ended the request; a request
 * that matched no endpoint at all is `unmatched`.
 */
export function routeOf(c: Context): string {
  return matchedRoutes(c).find((route) => route.method !== "ALL")?.path ?? "unmatched";
}

/**
 * The request duration histogram, as an `onResponse` hook for `createHttpApp`:
 * `stocksaga_http_request_duration_seconds{method, route, status}`.
 */
export function httpMetrics(registry: Registry): (c: Context, durationMs: number) => void {
  const duration = new Histogram({
    name: "stocksaga_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status: time from receipt to the response.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
  return (c, durationMs) => {
    duration.observe(
      {
        method: KNOWN_METHODS.has(c.req.method) ? c.req.method : "OTHER",
        route: routeOf(c),
        status: String(c.res.status),
      },
      durationMs / 1000,
    );
  };
}

/**
 * `GET /metrics` in the Prometheus text format. It needs no token: expose it on an internal
 * network (or behind the ingress' own rules) only.
 */
export function metricsHandler(registry: Registry): (c: Context) => Promise<Response> {
  return async (c) => c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
}
