import { describe, expect, it } from "vitest";
import { sessionOf } from "./auth.js";
import { routeOf } from "./router.js";

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const token = (claims: Record<string, unknown>) => `${segment({ alg: "HS256" })}.${segment(claims)}.c2ln`;
const now = new Date("2026-12-05T12:00:00Z");
const inAnHour = now.getTime() / 1000 + 3600;

describe("reading a token before the services check it", () => {
  it("takes the subject, the admin role and the expiry", () => {
    const session = sessionOf(` ${token({ sub: "alice", roles: ["admin"], exp: inAnHour })}\n`, now);
    expect(session).toMatchObject({ subject: "alice", isAdmin: true });
    expect(session.expiresAt.toISOString()).toBe("2026-12-05T13:00:00.000Z");
    expect(session.token).not.toMatch(/\s/);
    expect(sessionOf(token({ sub: "bob", exp: inAnHour }), now).isAdmin).toBe(false);
  });

  it("says when a token expired, and how to get another", () => {
    expect(() => sessionOf(token({ sub: "alice", exp: now.getTime() / 1000 - 1 }), now)).toThrow(
      /expired at 2026-12-05 11:59:59 UTC.*npm run token -- --sub alice/,
    );
  });

  it("says what is wrong with something that is not a usable token", () => {
    expect(() => sessionOf("hello", now)).toThrow(/not a token/);
    expect(() => sessionOf(`${segment({})}.bm90IGpzb24.x`, now)).toThrow(/not JSON/);
    expect(() => sessionOf(token({ exp: inAnHour }), now)).toThrow(/no subject/);
    expect(() => sessionOf(token({ sub: "alice" }), now)).toThrow(/no expiry/);
  });
});

describe("hash routes", () => {
  it("maps each agreed route, and a sign-in fragment to the shop", () => {
    expect(routeOf("")).toEqual({ page: "home" });
    expect(routeOf("#/")).toEqual({ page: "home" });
    expect(routeOf("#token=abc.def.ghi")).toEqual({ page: "home" });
    expect(routeOf("#/orders")).toEqual({ page: "orders" });
    expect(routeOf("#/orders/0b5e6a1c-1d2e-4f00-9a9a-0123456789ab")).toEqual({
      page: "order",
      orderId: "0b5e6a1c-1d2e-4f00-9a9a-0123456789ab",
    });
    expect(routeOf("#/admin/products")).toEqual({ page: "admin-products" });
    expect(routeOf("#/admin/dead-letters")).toEqual({ page: "admin-dead-letters" });
    expect(routeOf("#/orders/../../x")).toEqual({ page: "not-found", path: "/orders/../../x" });
  });
});
