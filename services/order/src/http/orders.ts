import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ChangeFeed } from "@stocksaga/messaging";
import {
  type AuthVariables,
  authenticate,
  authProblems,
  bodyProblems,
  createRoutes,
  jsonBody,
  ProblemError,
  problem,
  type RequestVariables,
} from "@stocksaga/platform";
import type { Context, MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import type { OrderApplication } from "../application/orders.js";
import { ORDER_LIMITS } from "../domain/index.js";
import type { OrderStore } from "../persistence/order-store.js";
import {
  decodeCursor,
  encodeCursor,
  FULFILMENTS,
  ORDER_STATUSES,
  OrderPageSchema,
  OrderSchema,
  type OrderView,
  TimelineSchema,
  timelineItemOf,
  viewOf,
} from "./order-view.js";

export type OrderEnv = { Variables: RequestVariables & AuthVariables };

export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const FINAL_FOR_STREAMS = new Set(["REJECTED", "CANCELLED"]);

export const PlaceOrderSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            sku: z
              .string()
              .regex(SKU, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
              .openapi({ example: "SKU-RED-MUG" }),
            quantity: z
              .number()
              .int("must be a whole number")
              .min(ORDER_LIMITS.minQuantity, `must be at least ${ORDER_LIMITS.minQuantity}`)
              .max(ORDER_LIMITS.maxQuantity, `must be at most ${ORDER_LIMITS.maxQuantity}`),
          })
          .strict(),
      )
      .min(1, "must hold at least one item")
      .max(ORDER_LIMITS.maxLines, `must hold at most ${ORDER_LIMITS.maxLines} items`)
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.sku)) {
            ctx.addIssue({ code: "custom", path: [index, "sku"], message: `duplicate SKU ${item.sku}` });
          }
          seen.add(item.sku);
        });
      })
      .openapi({ description: "Distinct SKUs." }),
    fulfilment: z
      .enum(FULFILMENTS)
      .default("PARTIAL")
      .openapi({ description: "PARTIAL takes what is available; ALL_OR_NOTHING rejects on any shortfall." }),
  })
  .strict()
  .openapi("PlaceOrder");

const CancelOrderSchema = z
  .object({ reason: z.string().trim().min(1).max(200).optional().openapi({ example: "changed my mind" }) })
  .strict()
  .openapi("CancelOrder");

const ListOrdersQuery = z
  .object({
    status: z.enum(ORDER_STATUSES).optional().openapi({ description: "Only orders in this status." }),
    limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: "integer" }),
    cursor: z.string().max(200).optional().openapi({ description: "`nextCursor` of the previous page." }),
  })
  .strict();

const OrderIdParam = z.object({
  orderId: z
    .string()
    .regex(UUID, "must be a UUID")
    .openapi({ format: "uuid", param: { description: "The order's UUID." } }),
});

const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(IDEMPOTENCY_KEY, "must be 1-128 visible ASCII characters")
    .optional()
    .openapi({
      param: {
        description:
          "Makes retries safe: the same key and body return the same order (header `Idempotency-Key`).",
      },
    }),
});

const orderJson = (description: string) => ({
  description,
  content: { "application/json": { schema: OrderSchema } },
});

const notFound = problem("No such order for this customer (someone else's order included).");

const placeOrderRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["orders"],
  summary: "Place an order",
  description:
    "1-100 items with distinct SKUs, 1-1000 units each. Answered at once as PENDING; the saga decides it. Send Idempotency-Key to make retries safe.",
  middleware: [jsonBody()] as const,
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { "application/json": { schema: PlaceOrderSchema } } },
  },
  responses: {
    202: {
      ...orderJson("Accepted as PENDING (or the order an Idempotency-Key placed before)."),
      headers: z.object({
        location: z.string().openapi({ description: "The order's URL." }),
        "idempotent-replayed": z
          .literal("true")
          .optional()
          .openapi({ description: "A replay of an earlier request." }),
      }),
    },
    ...bodyProblems,
    ...authProblems,
    409: problem("The Idempotency-Key was used for another body."),
    503: problem("Too much work in flight (admission control); see Retry-After."),
  },
});

const listOrdersRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["orders"],
  summary: "List your orders, newest first (an admin sees every order)",
  request: { query: ListOrdersQuery },
  responses: {
    200: { description: "A page of orders.", content: { "application/json": { schema: OrderPageSchema } } },
    400: problem("Invalid query, or a cursor this API never gave out."),
    ...authProblems,
  },
});

const getOrderRoute = createRoute({
  method: "get",
  path: "/{orderId}",
  tags: ["orders"],
  summary: "One order",
  request: { params: OrderIdParam },
  responses: { 200: orderJson("The order."), ...authProblems, 404: notFound },
});

const cancelOrderRoute = createRoute({
  method: "post",
  path: "/{orderId}/cancel",
  tags: ["orders"],
  summary: "Cancel an order",
  description:
    "Allowed while PENDING, CONFIRMED or ADJUSTED; reserved and committed stock goes back. The body is optional.",
  request: {
    params: OrderIdParam,
    body: { required: false, content: { "application/json": { schema: CancelOrderSchema } } },
  },
  responses: {
    200: orderJson("It was already cancelled."),
    202: orderJson("Cancelled now."),
    ...bodyProblems,
    ...authProblems,
    404: notFound,
    409: problem("The order was rejected and cannot be cancelled."),
  },
});

const timelineRoute = createRoute({
  method: "get",
  path: "/{orderId}/timeline",
  tags: ["orders"],
  summary: "The saga's events of an order, in order",
  request: { params: OrderIdParam },
  responses: {
    200: {
      description: "Every event the order emitted or received.",
      content: { "application/json": { schema: TimelineSchema } },
    },
    ...authProblems,
    404: notFound,
  },
});

const orderEventsRoute = createRoute({
  method: "get",
  path: "/{orderId}/events",
  tags: ["orders"],
  summary: "Live status (Server-Sent Events)",
  description:
    "The current order first, then each change, as `event: order` with the order as JSON in `data` and its `updatedAt` as `id`; a comment every 15 s keeps the connection open. Ends once the order is REJECTED or CANCELLED.",
  request: { params: OrderIdParam },
  responses: {
    200: {
      description: "A stream of `order` events.",
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            example:
              'event: order\nid: 2026-12-05T12:00:00.000Z\ndata: {"orderId":"…","status":"PENDING",…}\n\n',
          }),
        },
      },
    },
    ...authProblems,
    404: notFound,
  },
});

function concernsOrder(c: Context<OrderEnv>, orderId: string): void {
  if (UUID.test(orderId)) c.set("logger", c.var.logger.child({ orderId: orderId.toLowerCase() }));
}

export function orderRoutes(deps: {
  store: OrderStore;
  orders: OrderApplication;
  changes: ChangeFeed;
  jwtSecret: string;
  /** Refuses a placement (503, Retry-After) while the backlog is past its limits; none: every one is taken. */
  admission?: MiddlewareHandler;
}): OpenAPIHono<OrderEnv> {
  const app = createRoutes<OrderEnv>();
  // Refusing costs less than anything after it: under overload most requests end here.
  if (deps.admission) app.post("/", deps.admission);
  app.use("*", authenticate(deps.jwtSecret));

  /** Someone else's order does not exist for you: 404, never 403, so ids leak nothing. */
  async function visibleOrder(orderId: string, principal: AuthVariables["principal"]): Promise<OrderView> {
    const order = UUID.test(orderId) ? await deps.store.findOrder(orderId.toLowerCase()) : undefined;
    if (!order || (!principal.isAdmin && order.customerId !== principal.customerId)) {
      throw new ProblemError("notFound", `Order ${orderId.slice(0, 64)} does not exist.`);
    }
    return viewOf(order);
  }

  app.openapi(placeOrderRoute, async (c) => {
    const idempotencyKey = c.req.valid("header")["idempotency-key"];
    const body = c.req.valid("json");
    const { order, replayed } = await deps.orders.placeOrder({
      customerId: c.var.principal.customerId,
      fulfilment: body.fulfilment,
      lines: body.items,
      idempotencyKey,
      traceparent: c.var.trace.traceparent,
    });
    concernsOrder(c, order.orderId);
    if (replayed) c.var.logger.info({ idempotencyKey }, "order placement replayed");
    // The access line (`request`) carries the order id: at info, that is the one line of a placement.
    else c.var.logger.debug({ lines: order.lines.length, fulfilment: order.fulfilment }, "order placed");
    c.header("location", `/orders/${order.orderId}`);
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(viewOf(order), 202);
  });

  app.openapi(listOrdersRoute, async (c) => {
    const query = c.req.valid("query");
    const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    if (query.cursor !== undefined && !cursor) {
      throw new ProblemError("validation", "The cursor is not one this API gave out.", {
        errors: [{ pointer: "cursor", detail: "invalid" }],
      });
    }
    const page = await deps.store.listOrders({
      ...(c.var.principal.isAdmin ? {} : { customerId: c.var.principal.customerId }),
      ...(query.status ? { status: query.status } : {}),
      limit: query.limit,
      ...(cursor ? { after: cursor } : {}),
    });
    return c.json(
      { items: page.orders.map(viewOf), nextCursor: page.next ? encodeCursor(page.next) : null },
      200,
    );
  });

  app.openapi(getOrderRoute, async (c) => {
    const { orderId } = c.req.valid("param");
    concernsOrder(c, orderId);
    return c.json(await visibleOrder(orderId, c.var.principal), 200);
  });

  /** Whose order it is is settled before the body is read: someone else's is 404 whatever was sent. */
  const ownOrder: MiddlewareHandler<OrderEnv> = async (c, next) => {
    const orderId = c.req.param("orderId") ?? "";
    concernsOrder(c, orderId);
    await visibleOrder(orderId, c.var.principal);
    await next();
  };

  app.openapi({ ...cancelOrderRoute, middleware: [ownOrder, jsonBody({ optional: true })] }, async (c) => {
    const { orderId } = c.req.valid("param");
    const body = c.req.valid("json");
    const { order, changed } = await deps.orders.cancelOrder({
      orderId: orderId.toLowerCase(),
      requestedBy: c.var.principal.customerId,
      isAdmin: c.var.principal.isAdmin,
      reason: body.reason ?? "cancelled by the customer",
      traceparent: c.var.trace.traceparent,
    });
    if (changed) c.var.logger.info({ reason: order.cancellation?.reason }, "order cancelled");
    return changed ? c.json(viewOf(order), 202) : c.json(viewOf(order), 200);
  });

  app.openapi(timelineRoute, async (c) => {
    const { orderId } = c.req.valid("param");
    concernsOrder(c, orderId);
    const order = await visibleOrder(orderId, c.var.principal);
    const timeline = await deps.store.timeline(order.orderId);
    return c.json({ orderId: order.orderId, events: timeline.map(timelineItemOf) }, 200);
  });

  app.openapi(orderEventsRoute, async (c) => {
    const { orderId } = c.req.valid("param");
    concernsOrder(c, orderId);
    const first = await visibleOrder(orderId, c.var.principal);
    return streamSSE(c, async (stream) => {
      let last = "";
      let wake: (() => void) | undefined;
      let pending = true;
      const unsubscribe = deps.changes.subscribe(first.orderId, () => {
        pending = true;
        wake?.();
      });
      const unClose = deps.changes.onClose(() => {
        stream.abort();
        wake?.();
      });
      stream.onAbort(() => wake?.());
      try {
        let current: OrderView | undefined = first;
        while (!stream.aborted && !stream.closed) {
          if (pending) {
            pending = false;
            const read = await deps.store.findOrder(first.orderId);
            current = read ? viewOf(read) : current;
            const snapshot = JSON.stringify(current);
            if (current && snapshot !== last) {
              last = snapshot;
              await stream.writeSSE({ event: "order", id: current.updatedAt, data: snapshot });
              if (FINAL_FOR_STREAMS.has(current.status)) break;
            }
          }
          await new Promise<void>((resolve) => {
            const keepAlive = setTimeout(resolve, 15_000);
            const awaken = () => {
              clearTimeout(keepAlive);
              resolve();
            };
            wake = awaken;
            // A change (or an abort) that came while the order was read or written found no
            // `wake` to call and is only in `pending`: do not park until the keep-alive then.
            if (pending || stream.aborted) awaken();
          });
          wake = undefined;
          if (!pending && !stream.aborted) {
            await stream.write(": keep-alive\n\n");
            // Changes are announced after their commit, best effort: a lost announcement is caught
            // up by reading the order again at every keep-alive.
            pending = true;
          }
        }
      } finally {
        unsubscribe();
        unClose();
      }
    });
  });

  return app;
}
