import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type AuthVariables,
  adminProblems,
  authenticate,
  bodyProblems,
  createRoutes,
  jsonBody,
  ProblemError,
  problem,
  type RequestVariables,
  requireAdmin,
} from "@stocksaga/platform";
import type { InventoryApplication } from "../application/inventory.js";
import type { InventoryStore } from "../persistence/inventory-store.js";
import { decodeCursor, ProductPageSchema, ProductSchema, pageOfProducts, viewOfProduct } from "./views.js";

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
  .regex(SKU, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
  .openapi({ example: "SKU-RED-MUG" });
const text = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(PRODUCT_LIMITS.maxText, `must be at most ${PRODUCT_LIMITS.maxText} characters`);

export const CreateProductSchema = z
  .object({
    sku,
    name: text,
    onHand: z
      .number()
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .max(PRODUCT_LIMITS.maxOnHand, `must be at most ${PRODUCT_LIMITS.maxOnHand}`),
  })
  .strict()
  .openapi("CreateProduct");

export const AdjustStockSchema = z
  .object({
    delta: z
      .number()
      .int("must be a whole number")
      .min(-PRODUCT_LIMITS.maxDelta, `must be at least -${PRODUCT_LIMITS.maxDelta}`)
      .max(PRODUCT_LIMITS.maxDelta, `must be at most ${PRODUCT_LIMITS.maxDelta}`)
      .refine((delta) => delta !== 0, "must not be 0")
      .openapi({ description: "Units to add (or take away, negative); not 0.", example: 5 }),
    reason: text.openapi({ example: "damaged" }),
  })
  .strict()
  .openapi("AdjustStock");

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: "integer" }),
    cursor: z.string().max(200).optional().openapi({ description: "`nextCursor` of the previous page." }),
  })
  .strict();

/** A SKU that breaks the rule cannot exist: 404 without asking the database. */
const SkuParam = z.object({
  sku: sku.openapi({
    param: { description: "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit." },
  }),
});

const productJson = (description: string) => ({
  description,
  content: { "application/json": { schema: ProductSchema } },
});

const noProduct = problem("No such product.");

const createProductRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["products"],
  summary: "Create a product (admin)",
  description: "name 1-200 characters, onHand a whole number from 0 to 1,000,000.",
  request: { body: { required: true, content: { "application/json": { schema: CreateProductSchema } } } },
  responses: {
    201: {
      ...productJson("Created."),
      headers: z.object({ location: z.string().openapi({ description: "The product's URL." }) }),
    },
    ...bodyProblems,
    ...adminProblems,
    409: problem("A product with this SKU exists."),
  },
});

const listProductsRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["products"],
  summary: "List products in SKU order",
  security: [],
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of products.",
      content: { "application/json": { schema: ProductPageSchema } },
    },
    400: problem("Invalid query, or a cursor this API never gave out."),
  },
});

const getProductRoute = createRoute({
  method: "get",
  path: "/{sku}",
  tags: ["products"],
  summary: "One product's stock",
  security: [],
  request: { params: SkuParam },
  responses: { 200: productJson("The product."), 404: noProduct },
});

const adjustStockRoute = createRoute({
  method: "post",
  path: "/{sku}/adjustments",
  tags: ["products"],
  summary: "Adjust stock on hand (admin)",
  description:
    "delta a whole number other than 0 within ±1,000,000; reason 1-200 characters. Emits StockAdjusted (and ProductOutOfStock when nothing is left available).",
  request: {
    params: SkuParam,
    body: { required: true, content: { "application/json": { schema: AdjustStockSchema } } },
  },
  responses: {
    200: productJson("The product after the adjustment."),
    ...bodyProblems,
    ...adminProblems,
    404: noProduct,
    409: problem("The delta would leave fewer units on hand than are reserved."),
  },
});

/** Reading stock needs no token; creating products and adjusting stock needs the admin role. */
export function productRoutes(deps: {
  store: Pick<InventoryReads, "findProduct" | "listProducts">;
  inventory: ProductCommands;
  jwtSecret: string;
}): OpenAPIHono<InventoryEnv> {
  const app = createRoutes<InventoryEnv>();
  // Authentication before the schemas: a bad token is 401 whatever it was sent with.
  const admin = [authenticate(deps.jwtSecret), requireAdmin, jsonBody()];

  app.openapi({ ...createProductRoute, middleware: admin }, async (c) => {
    const body = c.req.valid("json");
    const product = await deps.inventory.createProduct({
      ...body,
      traceparent: c.var.trace.traceparent,
    });
    c.header("location", `/products/${encodeURIComponent(product.sku)}`);
    return c.json(viewOfProduct(product), 201);
  });

  app.openapi(listProductsRoute, async (c) => {
    const query = c.req.valid("query");
    const after = query.cursor !== undefined ? decodeCursor(query.cursor, (s) => SKU.test(s)) : undefined;
    if (query.cursor !== undefined && after === undefined) {
      throw new ProblemError("validation", "The cursor is not one this API gave out.", {
        errors: [{ pointer: "cursor", detail: "invalid" }],
      });
    }
    const read = await deps.store.listProducts({ limit: query.limit + 1, ...(after ? { after } : {}) });
    return c.json(pageOfProducts(read, query.limit), 200);
  });

  app.openapi(getProductRoute, async (c) => {
    const { sku: requested } = c.req.valid("param");
    const product = await deps.store.findProduct(requested);
    if (!product) throw new ProblemError("notFound", `Product ${requested} does not exist.`);
    return c.json(viewOfProduct(product), 200);
  });

  app.openapi({ ...adjustStockRoute, middleware: admin }, async (c) => {
    const { sku: requested } = c.req.valid("param");
    const body = c.req.valid("json");
    const product = await deps.inventory.adjustStock({
      sku: requested,
      delta: body.delta,
      reason: body.reason,
      actor: c.var.principal.customerId,
      traceparent: c.var.trace.traceparent,
    });
    return c.json(viewOfProduct(product), 200);
  });

  return app;
}
