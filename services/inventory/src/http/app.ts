import type { OpenAPIHono } from "@hono/zod-openapi";
import { createHttpApp, type Logger, type ReadinessCheck, type Registry } from "@stocksaga/platform";
import { mapInventoryError } from "./errors.js";
import { type InventoryEnv, type InventoryReads, type ProductCommands, productRoutes } from "./products.js";
import { reservationRoutes } from "./reservations.js";

export function createInventoryHttpApp(deps: {
  store: InventoryReads;
  inventory: ProductCommands;
  jwtSecret: string;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  /** Serves `GET /metrics` (no token: an internal network's concern) and times every request. */
  metrics?: Registry;
  /** Per-client token buckets (requests per second, burst); bearer tokens are verified with `jwtSecret`. */
  rateLimit?: { perSecond: number; burst: number };
}): OpenAPIHono<InventoryEnv> {
  const app = createHttpApp<InventoryEnv>({
    logger: deps.logger,
    mapError: mapInventoryError,
    readiness: deps.readiness,
    metrics: deps.metrics,
    apiInfo: {
      title: "stocksaga inventory service",
      version: "1.0.0",
      description:
        'Products and their stock, and the reservations orders hold. Reading stock needs no token; creating products, adjusting stock and reading reservations need `Authorization: Bearer <JWT>` (HS256) with `roles: ["admin"]`. Errors are `application/problem+json` (RFC 9457).',
    },
    ...(deps.rateLimit ? { rateLimit: { ...deps.rateLimit, jwtSecret: deps.jwtSecret } } : {}),
  });
  app.route("/products", productRoutes(deps));
  app.route("/reservations", reservationRoutes(deps));
  return app;
}
