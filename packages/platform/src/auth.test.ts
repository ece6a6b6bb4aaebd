import { afterEach, describe, expect, it, vi } from "vitest";
import { issueToken, verifyToken } from "./auth.js";
import { ProblemError } from "./problem.js";

const secret = "a-test-secret-that-is-long-enough-0123456789";
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function rejection(token: string): Promise<ProblemError> {
  const error = await verifyToken(token, secret).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe("verifyToken", () => {
  it("accepts an HS256 token and reads subject and roles", async () => {
    const principal = await verifyToken(await issueToken(secret, { sub: "alice", roles: ["admin"] }), secret);
    expect(principal).toEqual({ customerId: "alice", roles: ["admin"], isAdmin: true });
  });

  it("treats a token without roles as a plain customer", async () => {
    const principal = await verifyToken(await issueToken(secret, { sub: "bob" }), secret);
    expect(principal.isAdmin).toBe(false);
  });

  it("rejects a token signed with another secret", async () => {
    const token = await issueToken("another-secret-that-is-long-enough-0123456789", { sub: "alice" });
    expect((await rejection(token)).status).toBe(401);
  });

  it("rejects an expired token", async () => {
    const token = await issueToken(
      secret,
      { sub: "alice", ttlSeconds: 60 },
      new Date(Date.now() - 3_600_000),
    );
    expect((await rejection(token)).problem.detail).toMatch(/invalid or expired/);
  });

  it("rejects alg none, even with admin claims", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "mallory", roles: ["admin"], exp: 4e9 })}.`;
    expect((await rejection(token)).status).toBe(401);
  });

  it("rejects a token without exp", async () => {
    const { sign } = await import("hono/jwt");
    const token = await sign({ sub: "alice" }, secret, "HS256");
    expect((await rejection(token)).problem.detail).toMatch(/expiry/);
  });

  it("rejects a subject that is not a plain id", async () => {
    const { sign } = await import("hono/jwt");
    const token = await sign(
      { sub: "../../etc/passwd", exp: Math.floor(Date.now() / 1000) + 60 },
      secret,
      "HS256",
    );
    expect((await rejection(token)).problem.detail).toMatch(/subject/);
  });

  describe("after a token verified once", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("still refuses it once it expired", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const token = await issueToken(secret, { sub: "carol", ttlSeconds: 2 });
      expect((await verifyToken(token, secret)).customerId).toBe("carol");
      vi.setSystemTime(Date.now() + 3_000);
      expect((await rejection(token)).status).toBe(401);
    });

    it("still refuses it under another secret", async () => {
      const token = await issueToken(secret, { sub: "dave" });
      expect((await verifyToken(token, secret)).customerId).toBe("dave");
      const other = "another-secret-that-is-long-enough-0123456789";
      const error = await verifyToken(token, other).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProblemError);
    });
  });
});
