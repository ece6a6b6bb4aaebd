import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseConfig, serviceConfigShape } from "./config.js";
import { createHttpApp, type RequestVariables } from "./http.js";
import { createLogger } from "./logger.js";
import { ProblemError } from "./problem.js";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));
const CONSOLE = "http://127.0.0.1:3000";

function app(corsOrigins?: readonly string[]) {
  const http = createHttpApp<{ Variables: RequestVariables }>({
    logger: silent,
    ...(corsOrigins ? { corsOrigins } : {}),
    rateLimit: { perSecond: 1, burst: 1 },
  });
  http.post("/things", (c) => c.json({ ok: true }, 201, { location: "/things/1" }));
  http.get("/secret", () => {
    throw new ProblemError("unauthenticated", "no token");
  });
  return http;
}

const preflight = (origin: string, method = "POST") =>
  ({
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type, idempotency-key",
    },
  }) as const;

describe("CORS", () => {
  it("lets an allowed origin read an answer and its exposed headers", async () => {
    const res = await app([CONSOLE]).request("/things", { method: "POST", headers: { origin: CONSOLE } });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")?.split(",")).toEqual([
      "Location",
      "Retry-After",
      "X-Request-Id",
    ]);
    expect(res.headers.get("vary")).toMatch(/origin/i);
  });

  it("gives a problem the same headers, so the page can read why", async () => {
    const res = await app([CONSOLE]).request("/secret", { headers: { origin: CONSOLE } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
  });

  it("gives another origin no allow-origin header", async () => {
    const res = await app([CONSOLE]).request("/things", {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight of an allowed origin with the agreed methods and headers, unthrottled", async () => {
    const http = app([CONSOLE]);
    for (let i = 0; i < 3; i++) {
      const res = await http.request("/things", preflight(CONSOLE));
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
      expect(res.headers.get("access-control-allow-methods")?.split(",")).toEqual([
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
      ]);
      expect(res.headers.get("access-control-allow-headers")?.split(",")).toEqual([
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "Last-Event-ID",
      ]);
    }
  });

  it("answers a preflight of another origin without allowing it", async () => {
    const res = await app([CONSOLE]).request("/things", preflight("http://localhost:4000"));
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows no origin at all without a list", async () => {
    const res = await app().request("/things", { method: "POST", headers: { origin: CONSOLE } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("reads CORS_ORIGINS as a comma-separated list, defaulting to the local console", () => {
    const secret = { AUTH_JWT_SECRET: "a-secret-of-at-least-thirty-two-characters" };
    expect(parseConfig(serviceConfigShape, secret).CORS_ORIGINS).toEqual([
      "http://127.0.0.1:3000",
      "http://localhost:3000",
    ]);
    expect(
      parseConfig(serviceConfigShape, { ...secret, CORS_ORIGINS: " https://console.example , http://h:1/" })
        .CORS_ORIGINS,
    ).toEqual(["https://console.example", "http://h:1/"]);
  });
});
