import type { OpenAPIHono } from "@hono/zod-openapi";
import { type ChangeFeed, type DeadLetterAdmin, deadLetterRoutes } from "@stocksaga/messaging";
import { createHttpApp, type Logger, type ReadinessCheck, type Registry } from "@stocksaga/platform";
import type { MiddlewareHandler } from "hono";
import type { OrderApplication } from "../application/orders.js";
import type { OrderStore } from "../persistence/order-store.js";
import { mapOrderError } from "./errors.js";
import { type OrderEnv, orderRoutes } from "./orders.js";

export function createOrderHttpApp(deps: {
  store: OrderStore;
  orders: OrderApplication;
  changes: ChangeFeed;
  /** Dead letters of this service's consumer group for `/admin/dead-letters`; without it, not served. */
  deadLetters?: Pick<DeadLetterAdmin, "list" | "get" | "replay">;
  jwtSecret: string;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  /** Serves `GET /metrics` (no token: an internal network's concern) and times every request. */
  metrics?: Registry;
  /** Per-client token buckets (requests per second, burst); bearer tokens are verified with `jwtSecret`. */
  rateLimit?: { perSecond: number; burst: number };
  /** Origins whose browser pages may call the API (CORS_ORIGINS); without it, none. */
  corsOrigins?: readonly string[];
  /** Admission control of POST /orders (see orderRoutes). */
  admission?: MiddlewareHandler;
}): OpenAPIHono<OrderEnv> {
  const app = createHttpApp<OrderEnv>({
    logger: deps.logger,
    mapError: mapOrderError,
    readiness: deps.readiness,
    metrics: deps.metrics,
    ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}),
    apiInfo: {
      title: "stocksaga order service",
      version: "1.0.0",
      description:
        'Place orders against limited stock and follow them through the saga. Order routes need `Authorization: Bearer <JWT>` (HS256; `sub` is the customer; `roles: ["admin"]` sees every order). Errors are `application/problem+json` (RFC 9457).',
    },
    ...(deps.rateLimit ? { rateLimit: { ...deps.rateLimit, jwtSecret: deps.jwtSecret } } : {}),
  });
  app.route("/orders", orderRoutes(deps));
  if (deps.deadLetters) {
    app.route(
      "/admin/dead-letters",
      deadLetterRoutes({ deadLetters: deps.deadLetters, jwtSecret: deps.jwtSecret }),
    );
  }
  return app;
}
