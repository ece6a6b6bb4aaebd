import { once } from "node:events";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { issueToken } from "./auth.js";
import {
  answerClientErrors,
  createHttpApp,
  MAX_BODY_BYTES,
  type RequestVariables,
  requestErrorResponse,
  TokenBuckets,
} from "./http.js";
import { createLogger } from "./logger.js";
import type { Problem } from "./problem.js";
import { readJsonBody } from "./validation.js";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));

function app() {
  const http = createHttpApp<{ Variables: RequestVariables }>({ logger: silent });
  const body = z.object({ name: z.string().min(1) }).strict();
  http.post("/things", async (c) => c.json(await readJsonBody(c, body), 201));
  http.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  return http;
}

const post = (body: string, contentType = "application/json") =>
  app().request("/things", { method: "POST", body, headers: { "content-type": contentType } });

describe("the HTTP frame", () => {
  it("accepts a valid body", async () => {
    const res = await post(JSON.stringify({ name: "x" }));
    expect(res.status).toBe(201);
  });

  it("answers 415 problem+json for another media type", async () => {
    const res = await post("name=x", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as Problem).type).toBe("urn:stocksaga:problem:unsupported-media-type");
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).type).toBe("urn:stocksaga:problem:malformed-body");
  });

  it("lists field errors with JSON pointers, including unknown fields", async () => {
    const res = await post(JSON.stringify({ name: "", extra: 1 }));
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.type).toBe("urn:stocksaga:problem:validation-failed");
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: "/name" }),
        expect.objectContaining({ pointer: "/", detail: expect.stringContaining("extra") }),
      ]),
    );
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await post(JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) }));
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("hides internals of unknown errors behind a 500 with a request id", async () => {
    const res = await app().request("/boom", { headers: { "x-request-id": "req-123" } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).detail).toContain("req-123");
  });

  it("answers 503 with Retry-After when no database connection was free in time", async () => {
    const http = createHttpApp<{ Variables: RequestVariables }>({ logger: silent });
    http.get("/busy", () => {
      throw Object.assign(
        new Error("Transaction API error: Unable to start a transaction in the given time."),
        {
          code: "P2028",
        },
      );
    });
    http.get("/closed", () => {
      throw Object.assign(new Error("Transaction API error: Transaction already closed"), { code: "P2028" });
    });
    const busy = await http.request("/busy");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(((await busy.json()) as Problem).type).toBe("urn:stocksaga:problem:unavailable");
    expect((await http.request("/closed")).status).toBe(500);
  });

  it("answers 404 problem+json for an unknown route", async () => {
    const res = await app().request("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("the rate limit", () => {
  function limited() {
    const http = createHttpApp<{ Variables: RequestVariables }>({
      logger: silent,
      rateLimit: { perSecond: 2, burst: 3, jwtSecret: SECRET },
    });
    http.get("/things", (c) => c.json({ ok: true }));
    http.get("/docs", (c) => c.text("docs"));
    return { http };
  }

  const SECRET = "a-secret-of-at-least-thirty-two-characters";

  it("refills a bucket at the rate and lets a burst through", () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    expect([buckets.take("a"), buckets.take("a"), buckets.take("a")]).toEqual([0, 0, 0]);
    expect(buckets.take("a")).toBeCloseTo(0.5);
    expect(buckets.take("b")).toBe(0);
    now += 500;
    expect(buckets.take("a")).toBe(0);
    expect(buckets.take("a")).toBeGreaterThan(0);
  });

  it("forgets buckets that have refilled once there are many", () => {
    let now = 0;
    const buckets = new TokenBuckets(1, 1, () => now);
    for (let i = 0; i < 10_000; i++) buckets.take(`client-${i}`);
    now += 1_000;
    buckets.take("one more");
    expect(buckets.size).toBe(1);
  });

  it("answers 429 problem+json with Retry-After once a client's burst is spent", async () => {
    const { http } = limited();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await http.request("/things")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await http.request("/things");
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as Problem).type).toBe("urn:stocksaga:problem:rate-limited");
  });

  it("counts a valid token's subject apart from the address, and a forged token as the address", async () => {
    const { http } = limited();
    const alice = { authorization: `Bearer ${await issueToken(SECRET, { sub: "alice" })}` };
    const forged = {
      authorization: `Bearer ${await issueToken("another-secret-of-thirty-two-chars!!", { sub: "x" })}`,
    };
    for (let i = 0; i < 3; i++) expect((await http.request("/things", { headers: forged })).status).toBe(200);
    expect((await http.request("/things", { headers: forged })).status).toBe(429);
    expect((await http.request("/things")).status).toBe(429);
    expect((await http.request("/things", { headers: alice })).status).toBe(200);
  });

  it("never throttles health and docs", async () => {
    const { http } = limited();
    for (let i = 0; i < 10; i++) {
      expect((await http.request("/health/live")).status).toBe(200);
      expect((await http.request("/docs")).status).toBe(200);
    }
  });
});

describe("strings a database cannot hold as sent", () => {
  it.each([
    ["a NUL character", '{"name":"a\\u0000b"}', "/name", "NUL"],
    ["a lone surrogate", '{"name":"x\\ud800"}', "/name", "surrogate"],
    ["a NUL in a nested field name", '{"name":"x","deep":[{"k\\u0000":1}]}', "/deep/0", "field name"],
  ])("answers 400 with a pointer for %s", async (_case, body, pointer, detail) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.type).toBe("urn:stocksaga:problem:validation-failed");
    expect(problem.errors).toEqual([{ pointer, detail: expect.stringContaining(detail) }]);
  });

  it("accepts a surrogate pair (an emoji)", async () => {
    expect((await post(JSON.stringify({ name: "mug 😀" }))).status).toBe(201);
  });

  it("walks a body nested 30,000 levels deep without overflowing the stack", async () => {
    const res = await post(`${"[".repeat(30_000)}"\\u0000"${"]".repeat(30_000)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.[0]?.pointer).toMatch(/^\/0\/0\/0/);
  });
});

describe("requests that never reach the app", () => {
  it("answers what node cannot parse with problem+json, not a bare 400 or 431", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    answerClientErrors(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect(port, "127.0.0.1", () => socket.end(Buffer.from(request, "latin1")));
        socket.on("data", (chunk) => chunks.push(chunk));
        socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
        socket.on("error", reject);
      });
    try {
      const raw = await exchange("GET /things?x=\xc2\xa0 HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toContain("content-type: application/problem+json");
      expect(raw).toContain('"type":"urn:stocksaga:problem:bad-request"');

      const big = await exchange(`GET /things?x=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431 /);
      expect(big).toContain('"type":"urn:stocksaga:problem:headers-too-large"');

      const head = await exchange("HEAD /things?x=\xc2\xa0 HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head.endsWith("\r\n\r\n")).toBe(true);
    } finally {
      server.close();
    }
  });

  it("turns the adapter's request errors into 400 problem+json, anything else into a 500", async () => {
    const requestError = Object.assign(new Error("Backslash in request path"), { name: "RequestError" });
    const clientFault = requestErrorResponse(requestError);
    expect(clientFault.status).toBe(400);
    expect(clientFault.headers.get("content-type")).toBe("application/problem+json");
    expect(((await clientFault.json()) as Problem).type).toBe("urn:stocksaga:problem:bad-request");
    const ours = requestErrorResponse(new Error("database password is hunter2"));
    expect(ours.status).toBe(500);
    expect(await ours.text()).not.toContain("hunter2");
  });
});
