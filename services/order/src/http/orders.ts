import {
  type AuthVariables,
  authenticate,
  ProblemError,
  parseQuery,
  type RequestVariables,
  readJsonBody,
} from "@stocksaga/platform";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { OrderApplication } from "../application/orders.js";
import { ORDER_LIMITS } from "../domain/index.js";
import type { OrderChangeFeed } from "../persistence/order-changes.js";
import type { OrderStore } from "../persistence/order-store.js";
import { decodeCursor, encodeCursor, type OrderView, timelineItemOf, viewOf } from "./order-view.js";

export type OrderEnv = { Variables: RequestVariables & AuthVariables };

export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const STATUSES = ["PENDING", "CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"] as const;
const FINAL_FOR_STREAMS = new Set(["REJECTED", "CANCELLED"]);

export const placeOrderBody = z
  .object({
    items: z
      .array(
        z
          .object({
            sku: z
              .string()
              .regex(SKU, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
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
      }),
    fulfilment: z.enum(["PARTIAL", "ALL_OR_NOTHING"]).default("PARTIAL"),
  })
  .strict();

const cancelBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).strict();

const listQuery = z
  .object({
    status: z.enum(STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

function concernsOrder(c: Context<OrderEnv>, orderId: string): void {
  if (UUID.test(orderId)) c.set("logger", c.var.logger.child({ orderId: orderId.toLowerCase() }));
}

export function orderRoutes(deps: {
  store: OrderStore;
  orders: OrderApplication;
  changes: OrderChangeFeed;
  jwtSecret: string;
  /** Refuses a placement (503, Retry-After) while the backlog is past its limits; none: every one is taken. */
  admission?: MiddlewareHandler;
}): Hono<OrderEnv> {
  const app = new Hono<OrderEnv>();
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

  app.post("/", async (c) => {
    const keyHeader = c.req.header("idempotency-key");
    if (keyHeader !== undefined && !IDEMPOTENCY_KEY.test(keyHeader)) {
      throw new ProblemError("validation", "Idempotency-Key must be 1-128 visible ASCII characters.", {
        errors: [{ pointer: "Idempotency-Key", detail: "invalid" }],
      });
    }
    const body = await readJsonBody(c, placeOrderBody);
    const { order, replayed } = await deps.orders.placeOrder({
      customerId: c.var.principal.customerId,
      fulfilment: body.fulfilment,
      lines: body.items,
      idempotencyKey: keyHeader,
      traceparent: c.var.trace.traceparent,
    });
    concernsOrder(c, order.orderId);
    if (replayed) c.var.logger.info({ idempotencyKey: keyHeader }, "order placement replayed");
    // The access line (`request`) carries the order id: at info, that is the one line of a placement.
    else c.var.logger.debug({ lines: order.lines.length, fulfilment: order.fulfilment }, "order placed");
    c.header("location", `/orders/${order.orderId}`);
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(viewOf(order), 202);
  });

  app.get("/", async (c) => {
    const query = parseQuery(c, listQuery);
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
    return c.json({ items: page.orders.map(viewOf), nextCursor: page.next ? encodeCursor(page.next) : null });
  });

  app.get("/:orderId", async (c) => {
    concernsOrder(c, c.req.param("orderId"));
    return c.json(await visibleOrder(c.req.param("orderId"), c.var.principal));
  });

  app.post("/:orderId/cancel", async (c) => {
    const orderId = c.req.param("orderId");
    concernsOrder(c, orderId);
    await visibleOrder(orderId, c.var.principal);
    const hasBody =
      (c.req.header("content-length") ?? "0") !== "0" || c.req.header("transfer-encoding") !== undefined;
    const body = hasBody ? await readJsonBody(c, cancelBody) : {};
    const { order, changed } = await deps.orders.cancelOrder({
      orderId: orderId.toLowerCase(),
      requestedBy: c.var.principal.customerId,
      isAdmin: c.var.principal.isAdmin,
      reason: body.reason ?? "cancelled by the customer",
      traceparent: c.var.trace.traceparent,
    });
    if (changed) c.var.logger.info({ reason: order.cancellation?.reason }, "order cancelled");
    return c.json(viewOf(order), changed ? 202 : 200);
  });

  app.get("/:orderId/timeline", async (c) => {
    concernsOrder(c, c.req.param("orderId"));
    const order = await visibleOrder(c.req.param("orderId"), c.var.principal);
    const timeline = await deps.store.timeline(order.orderId);
    return c.json({ orderId: order.orderId, events: timeline.map(timelineItemOf) });
  });

  app.get("/:orderId/events", async (c) => {
    concernsOrder(c, c.req.param("orderId"));
    const first = await visibleOrder(c.req.param("orderId"), c.var.principal);
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
