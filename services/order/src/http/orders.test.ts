import { Writable } from "node:stream";
import type { ChangeFeed } from "@stocksaga/messaging";
import { createLogger, issueToken, type Problem } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import type { OrderApplication } from "../application/orders.js";
import type { Order, OrderStatus } from "../domain/index.js";
import type { OrderStore } from "../persistence/order-store.js";
import { createOrderHttpApp } from "./app.js";

const secret = "component-test-secret-0123456789abcdef";
const untouchable = new Proxy(
  {},
  {
    get(_target, property) {
      throw new Error(
        `the request reached the ${String(property)} dependency; validation should have stopped it`,
      );
    },
  },
);

const app = createOrderHttpApp({
  store: untouchable as OrderStore,
  orders: untouchable as OrderApplication,
  changes: untouchable as ChangeFeed,
  jwtSecret: secret,
  logger: createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() })),
  readiness: [],
});

const token = (sub = "alice") => issueToken(secret, { sub });

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: "POST",
    body,
    headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json", ...headers },
  });
}

async function problem(response: Response): Promise<Problem> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
}

const item = (sku: string, quantity: unknown = 1) => ({ sku, quantity });

describe("POST /orders validation", () => {
  it.each([
    ["no items", { items: [] }, "/items"],
    ["a zero quantity", { items: [item("A-1", 0)] }, "/items/0/quantity"],
    ["more than 1000 units", { items: [item("A-1", 1001)] }, "/items/0/quantity"],
    ["a fractional quantity", { items: [item("A-1", 1.5)] }, "/items/0/quantity"],
    ["a quantity as text", { items: [item("A-1", "2")] }, "/items/0/quantity"],
    ["a duplicate SKU", { items: [item("A-1"), item("A-1")] }, "/items/1/sku"],
    ["an unknown field", { items: [item("A-1")], coupon: "FREE" }, "/"],
    ["an unknown item field", { items: [{ ...item("A-1"), price: 0 }] }, "/items/0"],
    ["an unknown policy", { items: [item("A-1")], fulfilment: "SOME" }, "/fulfilment"],
    ["a SKU with a path in it", { items: [item("../../etc/passwd")] }, "/items/0/sku"],
    ["101 lines", { items: Array.from({ length: 101 }, (_, i) => item(`S-${i}`)) }, "/items"],
  ])("answers 400 with a field error for %s", async (_case, body, pointer) => {
    const response = await post("/orders", JSON.stringify(body));
    expect(response.status).toBe(400);
    const details = await problem(response);
    expect(details.type).toBe("urn:stocksaga:problem:validation-failed");
    expect(details.errors?.map((e) => e.pointer)).toContain(pointer);
  });

  it("answers 400 for a body that is not JSON, and 415 for another media type", async () => {
    expect((await post("/orders", "{nope")).status).toBe(400);
    expect((await post("/orders", "items=1", { "content-type": "text/plain" })).status).toBe(415);
  });

  it("answers 413 for a body over 64 KiB", async () => {
    const response = await post("/orders", JSON.stringify({ items: [item("A-1")], pad: "x".repeat(70_000) }));
    expect(response.status).toBe(413);
  });

  it.each([
    ["a space", "two words"],
    ["over 128 characters", "k".repeat(129)],
  ])("answers 400 for an Idempotency-Key with %s", async (_case, key) => {
    const response = await post("/orders", JSON.stringify({ items: [item("A-1")] }), {
      "idempotency-key": key,
    });
    expect(response.status).toBe(400);
  });
});

describe("authentication", () => {
  it("answers 401 without a token, with a bearer challenge", async () => {
    const response = await app.request("/orders");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect((await problem(response)).type).toBe("urn:stocksaga:problem:unauthenticated");
  });

  it("answers 401 for an unsigned (alg none) token", async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const forged = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "alice", roles: ["admin"], exp: 4e9 })}.`;
    const response = await app.request("/orders", { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
  });
});

describe("reading orders", () => {
  it("answers 404 for an id that is not a UUID, without looking it up", async () => {
    const response = await app.request("/orders/..%2F..%2Fetc%2Fpasswd", {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(response.status).toBe(404);
  });

  it("answers 400 for a cursor it never gave out and for an unknown status", async () => {
    const headers = { authorization: `Bearer ${await token()}` };
    expect((await app.request("/orders?cursor=bm9wZQ", { headers })).status).toBe(400);
    expect((await app.request("/orders?status=SHIPPED", { headers })).status).toBe(400);
    expect((await app.request("/orders?limit=0", { headers })).status).toBe(400);
  });
});

describe("documentation", () => {
  it("serves the OpenAPI document and a reference page without a token", async () => {
    const spec = await app.request("/openapi.json");
    expect(spec.status).toBe(200);
    const paths = ((await spec.json()) as { paths: Record<string, unknown> }).paths;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(["/orders", "/orders/{orderId}/cancel"]));
    const page = await app.request("/docs");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/docs/swagger-ui-bundle.js">');
    const bundle = await app.request("/docs/swagger-ui-bundle.js");
    expect(bundle.headers.get("content-type")).toContain("javascript");
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});

describe("GET /orders/:orderId/events", () => {
  const orderId = "0b5c2a1e-7d3f-4c55-9a0e-6f1d2b3c4d5e";
  const row = (status: OrderStatus, updatedAt: string): Order => ({
    orderId,
    customerId: "alice",
    status,
    fulfilment: "PARTIAL",
    lines: [],
    reason: null,
    rejectionDetail: null,
    cancellation: status === "CANCELLED" ? { reason: "changed my mind", cancelledBy: "alice" } : null,
    decisionDeadline: new Date("2026-01-01T00:15:00Z"),
    placedAt: new Date("2026-01-01T00:00:00Z"),
    updatedAt: new Date(updatedAt),
  });

  it("sends a change announced while the stream was reading the order, without waiting for the keep-alive", async () => {
    let announce = () => {};
    const reads = [
      () => row("PENDING", "2026-01-01T00:00:00Z"),
      () => {
        // The order changes (and is announced) while the stream reads the previous version.
        announce();
        return row("PENDING", "2026-01-01T00:00:00Z");
      },
      () => row("CANCELLED", "2026-01-01T00:00:01Z"),
    ];
    const store = { findOrder: async () => (reads.shift() ?? reads.at(-1))?.() };
    const changes = {
      subscribe: (_orderId: string, listener: () => void) => {
        announce = listener;
        return () => {};
      },
      onClose: () => () => {},
    };
    const streaming = createOrderHttpApp({
      store: store as unknown as OrderStore,
      orders: untouchable as OrderApplication,
      changes: changes as unknown as ChangeFeed,
      jwtSecret: secret,
      logger: createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() })),
      readiness: [],
    });

    const response = await streaming.request(`/orders/${orderId}/events`, {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(response.status).toBe(200);
    // A lost wake-up parks the stream until its 15 s keep-alive: the test's own timeout fails it first.
    const body = await response.text();
    expect(body.match(/^event: order$/gm)).toHaveLength(2);
    expect(body).toContain('"status":"CANCELLED"');
    expect(body).not.toContain("keep-alive");
  });
});

describe("CORS", () => {
  const console = "http://127.0.0.1:3000";
  const withCors = createOrderHttpApp({
    store: untouchable as OrderStore,
    orders: untouchable as OrderApplication,
    changes: untouchable as ChangeFeed,
    jwtSecret: secret,
    logger: createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() })),
    readiness: [],
    corsOrigins: [console],
  });

  it("answers the console's preflight of POST /orders and nobody else's", async () => {
    const ask = (origin: string) =>
      withCors.request("/orders", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type,idempotency-key",
        },
      });
    const allowed = await ask(console);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(console);
    expect(allowed.headers.get("access-control-allow-headers")).toContain("Idempotency-Key");
    expect((await ask("http://elsewhere.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets the console read a refusal and the exposed headers", async () => {
    const res = await withCors.request("/orders", { headers: { origin: console } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe(console);
    expect(res.headers.get("access-control-expose-headers")).toContain("Location");
  });
});
