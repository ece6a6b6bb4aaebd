import { apiReferencePage, createHttpApp, type Logger, type ReadinessCheck } from "@stocksaga/platform";
import type { Hono } from "hono";
import type { OrderApplication } from "../application/orders.js";
import type { Database } from "../persistence/database.js";
import type { OrderChangeFeed } from "../persistence/order-changes.js";
import { mapOrderError } from "./errors.js";
import { orderOpenApi } from "./openapi.js";
import { type OrderEnv, orderRoutes } from "./orders.js";

export function createOrderHttpApp(deps: {
  db: Database;
  orders: OrderApplication;
  changes: OrderChangeFeed;
  jwtSecret: string;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
}): Hono<OrderEnv> {
  const app = createHttpApp<OrderEnv>({
    logger: deps.logger,
    mapError: mapOrderError,
    readiness: deps.readiness,
  });
  app.get("/openapi.json", (c) => c.json(orderOpenApi));
  app.get("/docs", (c) => c.html(apiReferencePage(orderOpenApi)));
  app.route("/orders", orderRoutes(deps));
  return app;
}
