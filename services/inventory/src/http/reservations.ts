import { authenticate, parseQuery, requireAdmin } from "@stocksaga/platform";
import { Hono } from "hono";
import { z } from "zod";
import type { InventoryEnv, InventoryReads } from "./products.js";
import { viewOfReservation } from "./views.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const listQuery = z.object({ orderId: z.string().regex(UUID, "must be a UUID") }).strict();

/** What the inventory holds for an order: for operators, so admin only. */
export function reservationRoutes(deps: {
  store: Pick<InventoryReads, "reservationsOfOrder">;
  jwtSecret: string;
}): Hono<InventoryEnv> {
  const app = new Hono<InventoryEnv>();
  app.use("*", authenticate(deps.jwtSecret), requireAdmin);

  app.get("/", async (c) => {
    const { orderId } = parseQuery(c, listQuery);
    const normalised = orderId.toLowerCase();
    c.set("logger", c.var.logger.child({ orderId: normalised }));
    return c.json({
      orderId: normalised,
      items: (await deps.store.reservationsOfOrder(normalised)).map(viewOfReservation),
    });
  });

  return app;
}
