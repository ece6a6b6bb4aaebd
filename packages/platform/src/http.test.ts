import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpApp, MAX_BODY_BYTES, type RequestVariables, readJsonBody } from "./http.js";
import { createLogger } from "./logger.js";
import type { Problem } from "./problem.js";

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

  it("answers 404 problem+json for an unknown route", async () => {
    const res = await app().request("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
