import type { OpenAPIHono } from "@hono/zod-openapi";
import { type DeadLetterAdmin, deadLetterRoutes } from "@stocksaga/messaging";
import { createHttpApp, type Logger, type ReadinessCheck, type Registry } from "@stocksaga/platform";
import { mapInventoryError } from "./errors.js";
import { type ProductChanges, productStreamRoutes } from "./product-stream.js";
import { type InventoryEnv, type InventoryReads, type ProductCommands, productRoutes } from "./products.js";
import { reservationRoutes } from "./reservations.js";

export function createInventoryHttpApp(deps: {
  store: InventoryReads;
  inventory: ProductCommands;
  /** Committed product changes for `GET /products/stream`; without it the route is not served. */
  changes?: ProductChanges;
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
}): OpenAPIHono<InventoryEnv> {
  const app = createHttpApp<InventoryEnv>({
    logger: deps.logger,
    mapError: mapInventoryError,
    readiness: deps.readiness,
    metrics: deps.metrics,
    ...(deps.corsOrigins ? { corsOrigins: deps.corsOrigins } : {}),
    apiInfo: {
      title: "stocksaga inventory service",
      version: "1.0.0",
      description:
        'Products and their stock, and the reservations orders hold. Reading stock needs no token; creating products, adjusting stock and reading reservations need `Authorization: Bearer <JWT>` (HS256) with `roles: ["admin"]`. Errors are `application/problem+json` (RFC 9457).',
    },
    ...(deps.rateLimit ? { rateLimit: { ...deps.rateLimit, jwtSecret: deps.jwtSecret } } : {}),
  });
  // Before `/products/:sku`, which would take "stream" for a SKU.
  if (deps.changes) app.route("/products/stream", productStreamRoutes({ ...deps, changes: deps.changes }));
  app.route("/products", productRoutes(deps));
  app.route("/reservations", reservationRoutes(deps));
  if (deps.deadLetters) {
    app.route(
      "/admin/dead-letters",
      deadLetterRoutes({ deadLetters: deps.deadLetters, jwtSecret: deps.jwtSecret }),
    );
  }
  return app;
}
