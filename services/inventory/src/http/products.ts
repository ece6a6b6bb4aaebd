import {
  type AuthVariables,
  authenticate,
  ProblemError,
  parseQuery,
  type RequestVariables,
  readJsonBody,
  requireAdmin,
} from "@stocksaga/platform";
import { Hono } from "hono";
import { z } from "zod";
import type { InventoryApplication } from "../application/inventory.js";
import type { InventoryStore } from "../persistence/inventory-store.js";
import { decodeCursor, pageOfProducts, viewOfProduct } from "./views.js";

export type InventoryEnv = { Variables: RequestVariables & AuthVariables };

/** The use cases behind the product routes. */
export type ProductCommands = Pick<InventoryApplication, "createProduct" | "adjustStock">;

/** What the HTTP API reads straight from the store. */
export type InventoryReads = Pick<
  InventoryStore,
  "findProduct" | "findProducts" | "listProducts" | "reservationsOfOrder"
>;

/** The same SKU rule as the order service, so every SKU an order can name can exist here. */
export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PRODUCT_LIMITS = { maxOnHand: 1_000_000, maxDelta: 1_000_000, maxText: 200 } as const;

const sku = z
  .string()
  .regex(SKU, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
const text = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(PRODUCT_LIMITS.maxText, `must be at most ${PRODUCT_LIMITS.maxText} characters`);

export const createProductBody = z
  .object({
    sku,
    name: text,
    onHand: z
      .number()
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .max(PRODUCT_LIMITS.maxOnHand, `must be at most ${PRODUCT_LIMITS.maxOnHand}`),
  })
  .strict();

export const adjustStockBody = z
  .object({
    delta: z
      .number()
      .int("must be a whole number")
      .min(-PRODUCT_LIMITS.maxDelta, `must be at least -${PRODUCT_LIMITS.maxDelta}`)
      .max(PRODUCT_LIMITS.maxDelta, `must be at most ${PRODUCT_LIMITS.maxDelta}`)
      .refine((delta) => delta !== 0, "must not be 0"),
    reason: text,
  })
  .strict();

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

function notFound(skuText: string): ProblemError {
  return new ProblemError("notFound", `Product ${skuText.slice(0, 64)} does not exist.`);
}

/** Reading stock needs no token; creating products and adjusting stock needs the admin role. */
export function productRoutes(deps: {
  store: Pick<InventoryReads, "findProduct" | "listProducts">;
  inventory: ProductCommands;
  jwtSecret: string;
}): Hono<InventoryEnv> {
  const app = new Hono<InventoryEnv>();
  const admin = [authenticate(deps.jwtSecret), requireAdmin] as const;

  app.post("/", ...admin, async (c) => {
    const body = await readJsonBody(c, createProductBody);
    const product = await deps.inventory.createProduct({
      ...body,
      traceparent: c.var.trace.traceparent,
    });
    c.header("location", `/products/${encodeURIComponent(product.sku)}`);
    return c.json(viewOfProduct(product), 201);
  });

  app.get("/", async (c) => {
    const query = parseQuery(c, listQuery);
    const after = query.cursor !== undefined ? decodeCursor(query.cursor, (s) => SKU.test(s)) : undefined;
    if (query.cursor !== undefined && after === undefined) {
      throw new ProblemError("validation", "The cursor is not one this API gave out.", {
        errors: [{ pointer: "cursor", detail: "invalid" }],
      });
    }
    const read = await deps.store.listProducts({ limit: query.limit + 1, ...(after ? { after } : {}) });
    return c.json(pageOfProducts(read, query.limit));
  });

  app.get("/:sku", async (c) => {
    const requested = c.req.param("sku");
    // A SKU that breaks the rule cannot exist: no need to ask the database.
    const product = SKU.test(requested) ? await deps.store.findProduct(requested) : undefined;
    if (!product) throw notFound(requested);
    return c.json(viewOfProduct(product));
  });

  app.post("/:sku/adjustments", ...admin, async (c) => {
    const requested = c.req.param("sku");
    if (!SKU.test(requested)) throw notFound(requested);
    const body = await readJsonBody(c, adjustStockBody);
    const product = await deps.inventory.adjustStock({
      sku: requested,
      delta: body.delta,
      reason: body.reason,
      actor: c.var.principal.customerId,
      traceparent: c.var.trace.traceparent,
    });
    return c.json(viewOfProduct(product));
  });

  return app;
}
