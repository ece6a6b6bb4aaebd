import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** What a browser page on an allowed origin (the console) may send and read; bearer tokens only, no cookies. */
export const CORS_ALLOWED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const CORS_ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "Last-Event-ID",
] as const;
export const CORS_EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-Id"] as const;

/**
 * Cross-origin access for the listed origins only (exact `scheme://host[:port]` matches): any other
 * origin gets no `Access-Control-Allow-Origin`, so its browser keeps the answer from the page.
 */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins.map((origin) => origin.replace(/\/+$/, "")));
  const policy = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: [...CORS_ALLOWED_METHODS],
    allowHeaders: [...CORS_ALLOWED_HEADERS],
    exposeHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: 600,
  });
  // Without an Origin header a request is not a browser's cross-origin one: an OPTIONS from curl
  // goes to the routes (and their authentication) instead of getting a 204 preflight answer.
  return (c, next) => (c.req.header("origin") === undefined ? next() : policy(c, next));
}
