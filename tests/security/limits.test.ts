import { randomUUID } from "node:crypto";
import { issueToken } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RawResponse, sendRaw } from "../support/raw-http.js";
import { TestSystem } from "../support/system.js";
import { craftToken } from "../support/tokens.js";

const PER_SECOND = 2;
const BURST = 5;

/**
 * Sends `send()` until an answer is 429 (at most 100 times); returns the answers and how many got
 * through, which a token bucket bounds by the burst plus what refilled while they were sent.
 */
async function untilThrottled(send: () => Promise<RawResponse>) {
  const started = performance.now();
  const replies: RawResponse[] = [];
  while (replies.length < 100 && replies.at(-1)?.status !== 429) replies.push(await send());
  const seconds = (performance.now() - started) / 1000;
  const passed = replies.filter((r) => r.status !== 429).length;
  return { replies, passed, allowed: BURST + Math.ceil(seconds * PER_SECOND) };
}

/** docs/security.md, "Body and rate limits". */
describe("body and rate limits", () => {
  let system: TestSystem;
  let adminToken: string;

  beforeAll(async () => {
    // Low limits, so that a handful of requests shows them.
    const limits = { HTTP_RATE_LIMIT_PER_SECOND: String(PER_SECOND), HTTP_RATE_LIMIT_BURST: String(BURST) };
    system = await TestSystem.start({ order: limits, inventory: limits });
    adminToken = await issueToken(inject("jwtSecret"), {
      sub: `limits-admin-${randomUUID()}`,
      roles: ["admin"],
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const tokenFor = (sub: string) => issueToken(inject("jwtSecret"), { sub });

  it("answers 413 problem+json to a body over 64 KiB, with a Content-Length or chunked without one", async () => {
    const body = JSON.stringify({ sku: "BIG-1", name: "x".repeat(64 * 1024), onHand: 1 });
    for (const chunked of [false, true]) {
      const reply = await sendRaw(system.url("inventory"), {
        method: "POST",
        path: "/products",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body,
        chunked,
      });
      expect(reply.status, chunked ? "chunked" : "with Content-Length").toBe(413);
      expect(reply.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(reply.body).type).toBe("urn:stocksaga:problem:payload-too-large");
      // The rest of the body is never read, so the connection is not reused.
      expect(reply.headers.connection).toBe("close");
    }
    const product = await sendRaw(system.url("inventory"), { method: "GET", path: "/products/BIG-1" });
    expect(product.status).toBe(404);
  });

  it("answers 429 with Retry-After once a client's burst is spent, per token subject", async () => {
    const [alice, bob] = await Promise.all([
      tokenFor(`limits-alice-${randomUUID()}`),
      tokenFor(`limits-bob-${randomUUID()}`),
    ]);
    const list = (token: string) =>
      sendRaw(system.url("order"), {
        method: "GET",
        path: "/orders",
        headers: { authorization: `Bearer ${token}` },
      });
    const { replies, passed, allowed } = await untilThrottled(() => list(alice));
    expect(replies.slice(0, BURST).map((r) => r.status)).toEqual(Array.from({ length: BURST }, () => 200));
    expect(passed).toBeGreaterThanOrEqual(BURST);
    expect(passed).toBeLessThanOrEqual(allowed);
    const limited = replies.at(-1) as RawResponse;
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(limited.body).type).toBe("urn:stocksaga:problem:rate-limited");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // Another customer has a bucket of their own.
    expect((await list(bob)).status).toBe(200);
  });

  it("counts a forged or missing token against the client's address, so forging buys no new bucket", async () => {
    const forged = (i: number) =>
      craftToken(
        { alg: "HS256", typ: "JWT" },
        { sub: `forged-${i}`, exp: Math.floor(Date.now() / 1000) + 60 },
        { secret: "not-the-secret-but-32-characters-long" },
      );
    let i = 0;
    const { replies, passed, allowed } = await untilThrottled(() =>
      sendRaw(system.url("inventory"), {
        method: "GET",
        path: "/products",
        headers: { authorization: `Bearer ${forged(i++)}` },
      }),
    );
    expect(replies.at(-1)?.status).toBe(429);
    expect(passed).toBeLessThanOrEqual(allowed);
    const anonymous = await sendRaw(system.url("inventory"), { method: "GET", path: "/products" });
    expect(anonymous.status).toBe(429);
  });

  it("never throttles health, docs and the API description", async () => {
    for (let i = 0; i < BURST * 3; i++) {
      for (const path of ["/health/live", "/health/ready", "/docs", "/openapi.json"]) {
        expect((await sendRaw(system.url("inventory"), { method: "GET", path })).status, path).toBe(200);
      }
    }
  });
});
