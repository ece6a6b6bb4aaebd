import { apiReferencePage, createHttpApp, type Logger, type ReadinessCheck } from "@stocksaga/platform";
import type { Hono } from "hono";
import type { Database } from "../persistence/database.js";
import { mapInventoryError } from "./errors.js";
import { inventoryOpenApi } from "./openapi.js";
import { type InventoryEnv, type ProductCommands, productRoutes } from "./products.js";
import { reservationRoutes } from "./reservations.js";

export function createInventoryHttpApp(deps: {
  db: Database;
  inventory: ProductCommands;
  jwtSecret: string;
  logger: Logger;
  readiness: readonly ReadinessCheck[];
}): Hono<InventoryEnv> {
  const app = createHttpApp<InventoryEnv>({
    logger: deps.logger,
    mapError: mapInventoryError,
    readiness: deps.readiness,
  });
  app.get("/openapi.json", (c) => c.json(inventoryOpenApi));
  app.get("/docs", (c) => c.html(apiReferencePage(inventoryOpenApi)));
  app.route("/products", productRoutes(deps));
  app.route("/reservations", reservationRoutes(deps));
  return app;
}
