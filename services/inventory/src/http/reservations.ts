import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { adminProblems, authenticate, createRoutes, problem, requireAdmin } from "@stocksaga/platform";
import type { InventoryEnv, InventoryReads } from "./products.js";
import { ReservationsOfOrderSchema, viewOfReservation } from "./views.js";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const ReservationsQuery = z
  .object({
    orderId: z
      .string()
      .regex(UUID, "must be a UUID")
      .openapi({ format: "uuid", param: { description: "The order's UUID." } }),
  })
  .strict();

const reservationsOfOrderRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["reservations"],
  summary: "The reservations of an order (admin)",
  request: { query: ReservationsQuery },
  responses: {
    200: {
      description: "What the inventory holds for the order.",
      content: { "application/json": { schema: ReservationsOfOrderSchema } },
    },
    400: problem("orderId missing or not a UUID."),
    ...adminProblems,
  },
});

/** What the inventory holds for an order: for operators, so admin only. */
export function reservationRoutes(deps: {
  store: Pick<InventoryReads, "reservationsOfOrder">;
  jwtSecret: string;
}): OpenAPIHono<InventoryEnv> {
  const app = createRoutes<InventoryEnv>();
  app.use("*", authenticate(deps.jwtSecret), requireAdmin);

  app.openapi(reservationsOfOrderRoute, async (c) => {
    const normalised = c.req.valid("query").orderId.toLowerCase();
    c.set("logger", c.var.logger.child({ orderId: normalised }));
    return c.json(
      {
        orderId: normalised,
        items: (await deps.store.reservationsOfOrder(normalised)).map(viewOfReservation),
      },
      200,
    );
  });

  return app;
}
