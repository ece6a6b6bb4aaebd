import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, type OrderView, uniqueSku } from "../support/api.js";
import { sendRaw } from "../support/raw-http.js";
import { TestSystem } from "../support/system.js";
import { refusedTokens } from "../support/tokens.js";

/** docs/security.md, "What is protected": customer isolation, roles, tokens, literal storage. */
describe("access control", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let alice: ApiClient;
  let mallory: ApiClient;
  let sku: string;
  let order: OrderView;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client(`sec-admin-${randomUUID()}`, { admin: true });
    alice = system.client(`sec-alice-${randomUUID()}`);
    mallory = system.client(`sec-mallory-${randomUUID()}`);
    sku = uniqueSku("SEC");
    await admin.createProduct(sku, 10);
    order = (await alice.placeOrder([{ sku, quantity: 1 }])).body;
    await alice.orderReaching(order.orderId);
  });
  afterAll(async () => {
    await system?.stop();
  });

  const orderRoutes = (orderId: string) => [
    ["GET", `/orders/${orderId}`],
    ["GET", `/orders/${orderId}/timeline`],
    ["GET", `/orders/${orderId}/events`],
    ["POST", `/orders/${orderId}/cancel`],
  ];

  it("shows another customer's order as not existing (404) on every order route, and changes nothing", async () => {
    const before = (await alice.order(order.orderId)).body;
    for (const [method, path] of orderRoutes(order.orderId)) {
      for (const id of [order.orderId, order.orderId.toUpperCase()]) {
        const reply = await mallory.request<{ type: string }>(
          "order",
          method as string,
          (path as string).replace(order.orderId, id),
        );
        expect(reply.status, `${method} ${path}`).toBe(404);
        expect(reply.body.type).toBe("urn:stocksaga:problem:not-found");
      }
    }
    const list = await mallory.request<{ items: OrderView[] }>("order", "GET", "/orders?limit=100");
    expect(list.body.items.map((o) => o.orderId)).not.toContain(order.orderId);
    const after = (await alice.order(order.orderId)).body;
    expect(after).toMatchObject({ status: before.status, updatedAt: before.updatedAt });
    expect(after.status).not.toBe("CANCELLED");
  });

  it("answers 404, not 403, for an order id that does not exist, so ids leak nothing", async () => {
    for (const [method, path] of orderRoutes(randomUUID())) {
      expect(
        (await mallory.request("order", method as string, path as string)).status,
        `${method} ${path}`,
      ).toBe(404);
    }
  });

  it("refuses every admin route to a customer (403) and to no token (401)", async () => {
    const routes: [string, string, unknown][] = [
      ["POST", "/products", { sku: uniqueSku("SEC"), name: "x", onHand: 1 }],
      ["POST", `/products/${sku}/adjustments`, { delta: 100, reason: "free stock" }],
      ["GET", `/reservations?orderId=${order.orderId}`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const asCustomer = await alice.request<{ type: string }>("inventory", method, path, body);
      expect(asCustomer.status, `${method} ${path}`).toBe(403);
      expect(asCustomer.body.type).toBe("urn:stocksaga:problem:forbidden");
      const anonymous = await sendRaw(system.url("inventory"), {
        method,
        path,
        headers: { "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toBe('Bearer realm="stocksaga"');
    }
    expect(await admin.product(sku)).toMatchObject({ onHand: 9 });
  });

  it("accepts only HS256 tokens signed with the secret, with an expiry and a sane subject: alg none, expired, forged and the rest are 401", async () => {
    const tokens = refusedTokens(inject("jwtSecret"));
    expect(Object.keys(tokens)).toEqual(
      expect.arrayContaining(["alg none", "expired", "without exp", "signed with another secret"]),
    );
    for (const [name, token] of Object.entries(tokens)) {
      for (const [service, path] of [
        ["order", "/orders"],
        ["inventory", `/reservations?orderId=${order.orderId}`],
      ] as const) {
        const reply = await sendRaw(system.url(service), {
          method: "GET",
          path,
          headers: { authorization: `Bearer ${token}` },
        });
        expect(reply.status, `${name} on ${service} ${path}`).toBe(401);
        expect(JSON.parse(reply.body).type).toBe("urn:stocksaga:problem:unauthenticated");
      }
    }
    // The same request with a valid admin token passes: the 401s above are about the tokens.
    expect((await admin.request("inventory", "GET", `/reservations?orderId=${order.orderId}`)).status).toBe(
      200,
    );
  });

  it("stores and returns SQL-looking text literally", async () => {
    const name = `Robert'); DROP TABLE products; -- "quoted" \\ 100% _x_`;
    const created = await admin.request<{ sku: string; name: string }>("inventory", "POST", "/products", {
      sku: uniqueSku("SQL"),
      name,
      onHand: 1,
    });
    expect(created.status).toBe(201);
    const sqlSku = created.body.sku;
    expect((await admin.product(sqlSku)).name).toBe(name);
    const list = await admin.request<{ items: { sku: string }[] }>("inventory", "GET", "/products?limit=100");
    expect(list.status).toBe(200);

    const reason = "'; UPDATE orders SET status = 'CONFIRMED'; --";
    const adjusted = await admin.request("inventory", "POST", `/products/${sqlSku}/adjustments`, {
      delta: 1,
      reason,
    });
    expect(adjusted.status).toBe(200);

    // A SKU with SQL in it cannot be named at all: the SKU rule refuses it before any query.
    const sqlish = await admin.request<{ type: string }>("inventory", "POST", "/products", {
      sku: "A' OR '1'='1",
      name: "x",
      onHand: 1,
    });
    expect(sqlish.status).toBe(400);
    expect(
      (await sendRaw(system.url("inventory"), { method: "GET", path: "/products/A'%20OR%20'1'='1" })).status,
    ).toBe(404);
  });

  it("sends security headers with every answer", async () => {
    for (const reply of [
      await sendRaw(system.url("order"), { method: "GET", path: "/orders" }),
      await sendRaw(system.url("inventory"), { method: "GET", path: `/products/${sku}` }),
    ]) {
      expect(reply.headers["x-content-type-options"]).toBe("nosniff");
      expect(reply.headers["x-frame-options"]).toBe("SAMEORIGIN");
      expect(reply.headers["cross-origin-resource-policy"]).toBe("same-origin");
      expect(reply.headers["x-request-id"]).toBeTruthy();
    }
  });
});
