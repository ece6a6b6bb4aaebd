import { createLogger, issueToken, MAX_BODY_BYTES } from "@stocksaga/platform";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { AdjustStockRequest, CreateProductRequest } from "../application/inventory.js";
import {
  InsufficientStockForAdjustment,
  ProductAlreadyExists,
  ProductNotFound,
  StockInvariantViolated,
} from "../domain/index.js";
import type { ProductRecord } from "../persistence/inventory-store.js";
import { createInventoryHttpApp } from "./app.js";
import type { InventoryReads, ProductCommands } from "./products.js";

const SECRET = "component-test-secret-of-at-least-32-chars";
const UPDATED_AT = new Date("2030-01-01T10:00:00.000Z");

/** Every request here must be answered before the store is asked anything. */
const untouchableStore = new Proxy(
  {},
  {
    get(_, property) {
      throw new Error(`the store was touched (${String(property)})`);
    },
  },
) as unknown as InventoryReads;

function productAfter(sku: string, onHand: number, reserved = 0): ProductRecord {
  return { sku, name: `Product ${sku}`, onHand, reserved, updatedAt: UPDATED_AT };
}

function appWith(inventory: Partial<ProductCommands> = {}) {
  const commands: ProductCommands = {
    createProduct: vi.fn(async (_: CreateProductRequest): Promise<ProductRecord> => {
      throw new Error("createProduct was not expected");
    }),
    adjustStock: vi.fn(async (_: AdjustStockRequest): Promise<ProductRecord> => {
      throw new Error("adjustStock was not expected");
    }),
    ...inventory,
  };
  const app = createInventoryHttpApp({
    store: untouchableStore,
    inventory: commands,
    jwtSecret: SECRET,
    logger: createLogger("inventory-test", "silent"),
    readiness: [],
  });
  return { app, commands };
}

let admin: string;
let customer: string;

beforeAll(async () => {
  admin = await issueToken(SECRET, { sub: "admin-1", roles: ["admin"] });
  customer = await issueToken(SECRET, { sub: "customer-1" });
});

function send(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; contentType?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  return appWith().app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { type: string; status: number; errors?: { pointer: string }[] };
}

const VALID_PRODUCT = { sku: "SKU-RED-MUG", name: "Red mug", onHand: 10 };
const VALID_ADJUSTMENT = { delta: -3, reason: "damaged" };

describe("admin routes need a valid token with the admin role", () => {
  const adminRoutes = [
    ["POST", "/products", VALID_PRODUCT],
    ["POST", "/products/SKU-RED-MUG/adjustments", VALID_ADJUSTMENT],
    ["GET", "/reservations?orderId=5f0c6a8e-2b1d-4e0a-9c3f-7d2e1b4a6c08", undefined],
  ] as const;

  it.each(adminRoutes)("%s %s without a token → 401 with a Bearer challenge", async (method, path, body) => {
    const response = await send(method, path, { body });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect((await problemOf(response)).type).toBe("urn:stocksaga:problem:unauthenticated");
  });

  it.each(adminRoutes)("%s %s with a token signed by someone else → 401", async (method, path, body) => {
    const forged = await issueToken("another-secret-that-is-long-enough-too", {
      sub: "admin-1",
      roles: ["admin"],
    });
    expect((await send(method, path, { body, token: forged })).status).toBe(401);
  });

  it.each(adminRoutes)("%s %s as a customer → 403", async (method, path, body) => {
    const response = await send(method, path, { body, token: customer });
    expect(response.status).toBe(403);
    expect((await problemOf(response)).type).toBe("urn:stocksaga:problem:forbidden");
  });

  it("checks the token before the body", async () => {
    expect((await send("POST", "/products", { body: { nonsense: true } })).status).toBe(401);
  });
});

describe("POST /products validates at the edge", () => {
  it.each([
    ["an invalid SKU", { ...VALID_PRODUCT, sku: "-starts-with-a-dash" }, ["/sku"]],
    ["a SKU of 65 characters", { ...VALID_PRODUCT, sku: "A".repeat(65) }, ["/sku"]],
    ["a blank name", { ...VALID_PRODUCT, name: "   " }, ["/name"]],
    ["a name of 201 characters", { ...VALID_PRODUCT, name: "n".repeat(201) }, ["/name"]],
    ["a fractional onHand", { ...VALID_PRODUCT, onHand: 1.5 }, ["/onHand"]],
    ["a negative onHand", { ...VALID_PRODUCT, onHand: -1 }, ["/onHand"]],
    ["onHand over 1,000,000", { ...VALID_PRODUCT, onHand: 1_000_001 }, ["/onHand"]],
    ["onHand as a string", { ...VALID_PRODUCT, onHand: "10" }, ["/onHand"]],
    ["an unknown field", { ...VALID_PRODUCT, reserved: 3 }, ["/"]],
    ["nothing at all", {}, ["/sku", "/name", "/onHand"]],
  ])("400 for %s, naming the fields", async (_, body, pointers) => {
    const response = await send("POST", "/products", { token: admin, body });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe("urn:stocksaga:problem:validation-failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(pointers);
  });

  it("400 for a body that is not JSON", async () => {
    const response = await send("POST", "/products", { token: admin, raw: "{not json" });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).type).toBe("urn:stocksaga:problem:malformed-body");
  });

  it("415 for another media type", async () => {
    const response = await send("POST", "/products", {
      token: admin,
      raw: JSON.stringify(VALID_PRODUCT),
      contentType: "text/plain",
    });
    expect(response.status).toBe(415);
  });

  it("413 for a body over 64 KiB", async () => {
    const response = await send("POST", "/products", {
      token: admin,
      body: { ...VALID_PRODUCT, name: "n".repeat(MAX_BODY_BYTES) },
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).type).toBe("urn:stocksaga:problem:payload-too-large");
  });
});

describe("POST /products/{sku}/adjustments validates at the edge", () => {
  it.each([
    ["a zero delta", { ...VALID_ADJUSTMENT, delta: 0 }, ["/delta"]],
    ["a fractional delta", { ...VALID_ADJUSTMENT, delta: 0.5 }, ["/delta"]],
    ["a delta beyond +1,000,000", { ...VALID_ADJUSTMENT, delta: 1_000_001 }, ["/delta"]],
    ["a delta beyond -1,000,000", { ...VALID_ADJUSTMENT, delta: -1_000_001 }, ["/delta"]],
    ["a blank reason", { ...VALID_ADJUSTMENT, reason: "" }, ["/reason"]],
    ["a reason of 201 characters", { ...VALID_ADJUSTMENT, reason: "r".repeat(201) }, ["/reason"]],
    ["an unknown field", { ...VALID_ADJUSTMENT, actor: "someone" }, ["/"]],
  ])("400 for %s", async (_, body, pointers) => {
    const response = await send("POST", "/products/SKU-RED-MUG/adjustments", { token: admin, body });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.map((e) => e.pointer)).toEqual(pointers);
  });

  it("404 for a SKU that breaks the rule, without asking the database", async () => {
    const response = await send("POST", "/products/..bad/adjustments", {
      token: admin,
      body: VALID_ADJUSTMENT,
    });
    expect(response.status).toBe(404);
  });
});

describe("public reads that need no database to answer", () => {
  it("(the stub is real: a read that needs the database fails)", async () => {
    expect((await send("GET", "/products/SKU-RED-MUG")).status).toBe(500);
  });

  it("GET /products/{sku} → 404 for a SKU that cannot exist", async () => {
    const response = await send("GET", `/products/${"A".repeat(65)}`);
    expect(response.status).toBe(404);
    expect((await problemOf(response)).type).toBe("urn:stocksaga:problem:not-found");
  });

  it.each([
    ["limit=0", "/limit"],
    ["limit=101", "/limit"],
    ["limit=ten", "/limit"],
    ["colour=red", "/"],
    ["cursor=%2F%2F%2F", "cursor"],
  ])("GET /products?%s → 400", async (query, pointer) => {
    const response = await send("GET", `/products?${query}`);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.map((e) => e.pointer)).toEqual([pointer]);
  });

  it.each([
    ["", "/orderId"],
    ["?orderId=order-1", "/orderId"],
    ["?orderId=5f0c6a8e-2b1d-4e0a-9c3f-7d2e1b4a6c08&sku=A", "/"],
  ])("GET /reservations%s as admin → 400", async (query, pointer) => {
    const response = await send("GET", `/reservations${query}`, { token: admin });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors?.map((e) => e.pointer)).toEqual([pointer]);
  });

  it("health, OpenAPI document and reference page", async () => {
    expect(await (await send("GET", "/health/live")).json()).toEqual({ status: "UP" });
    expect((await send("GET", "/health/ready")).status).toBe(200);
    const document = (await (await send("GET", "/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/products",
        "/products/{sku}",
        "/products/{sku}/adjustments",
        "/reservations",
      ]),
    );
    const docs = await send("GET", "/docs");
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain('<link rel="stylesheet" href="/docs/swagger-ui.css">');
    const css = await send("GET", "/docs/swagger-ui.css");
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(await css.text()).toContain(".swagger-ui");
  });
});

describe("commands and the one error mapping", () => {
  it("POST /products → 201 with the product and its Location", async () => {
    const { app, commands } = appWith({ createProduct: vi.fn(async () => productAfter("SKU-RED-MUG", 10)) });
    const response = await app.request("/products", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ ...VALID_PRODUCT, name: "  Red mug  " }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/products/SKU-RED-MUG");
    expect(await response.json()).toEqual({
      sku: "SKU-RED-MUG",
      name: "Product SKU-RED-MUG",
      onHand: 10,
      reserved: 0,
      available: 10,
      updatedAt: UPDATED_AT.toISOString(),
    });
    expect(commands.createProduct).toHaveBeenCalledWith({
      sku: "SKU-RED-MUG",
      name: "Red mug",
      onHand: 10,
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    });
  });

  it("POST /products/{sku}/adjustments → 200 with the product; the admin is the actor; the trace continues", async () => {
    const { app, commands } = appWith({ adjustStock: vi.fn(async () => productAfter("SKU-RED-MUG", 7, 2)) });
    const response = await app.request("/products/SKU-RED-MUG/adjustments", {
      method: "POST",
      headers: {
        authorization: `Bearer ${admin}`,
        "content-type": "application/json",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
      body: JSON.stringify(VALID_ADJUSTMENT),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ onHand: 7, reserved: 2, available: 5 });
    expect(commands.adjustStock).toHaveBeenCalledWith({
      sku: "SKU-RED-MUG",
      delta: -3,
      reason: "damaged",
      actor: "admin-1",
      traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
    });
  });

  it.each([
    [new ProductAlreadyExists("SKU-RED-MUG"), 409, "urn:stocksaga:problem:product-already-exists"],
    [new ProductNotFound("SKU-RED-MUG"), 404, "urn:stocksaga:problem:not-found"],
    [
      new InsufficientStockForAdjustment("SKU-RED-MUG", -3, 4, 2),
      409,
      "urn:stocksaga:problem:insufficient-stock",
    ],
    [
      new StockInvariantViolated("SKU-RED-MUG", ["reserved -1 is negative"]),
      500,
      "urn:stocksaga:problem:internal",
    ],
  ])("%s → %i", async (error, status, type) => {
    const failing = vi.fn(async (): Promise<ProductRecord> => {
      throw error;
    });
    const { app } = appWith({ createProduct: failing, adjustStock: failing });
    for (const [path, body] of [
      ["/products", VALID_PRODUCT],
      ["/products/SKU-RED-MUG/adjustments", VALID_ADJUSTMENT],
    ] as const) {
      const response = await app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(status);
      const problem = await problemOf(response);
      expect(problem.type).toBe(type);
      expect(JSON.stringify(problem)).not.toContain("reserved -1");
    }
  });
});

describe("CORS", () => {
  const console = "http://localhost:3000";
  const app = createInventoryHttpApp({
    store: untouchableStore,
    inventory: {} as ProductCommands,
    jwtSecret: SECRET,
    logger: createLogger("inventory-test", "silent"),
    readiness: [],
    corsOrigins: [console],
  });

  it("answers the console's preflight of an adjustment and nobody else's", async () => {
    const ask = (origin: string) =>
      app.request("/products/SKU-RED-MUG/adjustments", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    const allowed = await ask(console);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(console);
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect((await ask("http://127.0.0.1:3001")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the console read a refusal", async () => {
    const res = await app.request("/reservations?orderId=x", { headers: { origin: console } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe(console);
  });
});
