import { Writable } from "node:stream";
import { createHttpApp, createLogger, issueToken, type RequestVariables } from "@stocksaga/platform";
import { beforeAll, describe, expect, it } from "vitest";
import type { DeadLetterAdmin, DeadLetterView, ReplayOutcome } from "./dead-letter-admin.js";
import { deadLetterOf } from "./dead-letter-indexer.js";
import { ALREADY_REPLAYED_PROBLEM, deadLetterRoutes, deadLetterSchemas } from "./dead-letter-routes.js";

const SECRET = "dead-letter-routes-secret-of-32-chars!";
const LETTER: DeadLetterView = {
  id: "dead-letters-0-7",
  reason: "undecodable",
  detail: "WRONG_MAGIC_BYTE",
  origin: { topic: "order-events", partition: 2, offset: 41, consumerGroup: "inventory-service" },
  failedAt: "2030-01-01T00:00:00.000Z",
  key: "k",
  payload: { decoded: false, hex: "6869", error: "WRONG_MAGIC_BYTE" },
  replays: [],
};

function app(replay: (id: string, request: { by: string; force: boolean }) => Promise<ReplayOutcome>) {
  const calls: { limit?: number; replay?: { id: string; by: string; force: boolean } } = {};
  const deadLetters: Pick<DeadLetterAdmin, "list" | "get" | "replay"> = {
    list: async (limit) => {
      calls.limit = limit;
      return [LETTER];
    },
    get: async (id) => (id === LETTER.id ? LETTER : undefined),
    replay: async (id, request) => {
      calls.replay = { id, ...request };
      return replay(id, request);
    },
  };
  const http = createHttpApp<{ Variables: RequestVariables }>({
    logger: createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() })),
  });
  http.route("/admin/dead-letters", deadLetterRoutes({ deadLetters, jwtSecret: SECRET }));
  return { http, calls };
}

let admin: Record<string, string>;
let customer: Record<string, string>;
beforeAll(async () => {
  admin = { authorization: `Bearer ${await issueToken(SECRET, { sub: "ops", roles: ["admin"] })}` };
  customer = { authorization: `Bearer ${await issueToken(SECRET, { sub: "bob" })}` };
});

describe("/admin/dead-letters", () => {
  it("is for admins only", async () => {
    const { http } = app(async () => ({ outcome: "not-found" }));
    expect((await http.request("/admin/dead-letters")).status).toBe(401);
    expect((await http.request("/admin/dead-letters", { headers: customer })).status).toBe(403);
  });

  it("lists with a bounded limit, 50 by default, in the agreed shape", async () => {
    const { http, calls } = app(async () => ({ outcome: "not-found" }));
    const listed = await http.request("/admin/dead-letters", { headers: admin });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { items: unknown[] };
    expect(calls.limit).toBe(50);
    expect(deadLetterSchemas.view.parse(body.items[0])).toEqual(LETTER);
    expect((await http.request("/admin/dead-letters?limit=0", { headers: admin })).status).toBe(400);
    expect((await http.request("/admin/dead-letters?limit=501", { headers: admin })).status).toBe(400);
  });

  it("shows one letter, 404 for another", async () => {
    const { http } = app(async () => ({ outcome: "not-found" }));
    expect(await (await http.request(`/admin/dead-letters/${LETTER.id}`, { headers: admin })).json()).toEqual(
      LETTER,
    );
    const missing = await http.request("/admin/dead-letters/dead-letters-0-8", { headers: admin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
  });

  it("replays with or without a body, as the admin who asked", async () => {
    const { http, calls } = app(async () => ({ outcome: "replayed", letter: LETTER }));
    const bare = await http.request(`/admin/dead-letters/${LETTER.id}/replay`, {
      method: "POST",
      headers: admin,
    });
    expect(bare.status).toBe(202);
    expect(await bare.json()).toEqual({ letter: LETTER });
    expect(calls.replay).toEqual({ id: LETTER.id, by: "ops", force: false });
    const forced = await http.request(`/admin/dead-letters/${LETTER.id}/replay`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ force: true }),
    });
    expect(forced.status).toBe(202);
    expect(calls.replay?.force).toBe(true);
  });

  it("refuses a second replay with 409 already-replayed, and a bad body with 400", async () => {
    const { http } = app(async () => ({ outcome: "already-replayed", letter: LETTER }));
    const again = await http.request(`/admin/dead-letters/${LETTER.id}/replay`, {
      method: "POST",
      headers: admin,
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { type: string }).type).toBe(ALREADY_REPLAYED_PROBLEM);
    const bad = await http.request(`/admin/dead-letters/${LETTER.id}/replay`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ force: "yes" }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("deadLetterOf", () => {
  it("reads the dlt headers and keeps the others as the original headers", () => {
    const letter = deadLetterOf("dead-letters", 1, {
      offset: "9",
      key: Buffer.from("k"),
      value: Buffer.from([1, 2]),
      headers: {
        "dlt-reason": "undecodable",
        "dlt-detail": "bad bytes",
        "dlt-origin-topic": "order-events",
        "dlt-origin-partition": "2",
        "dlt-origin-offset": "41",
        "dlt-consumer-group": "inventory-service",
        "dlt-failed-at": "2030-01-01T00:00:00.000Z",
        traceparent: Buffer.from("00-abc"),
      },
    });
    expect(letter).toEqual({
      id: "dead-letters-1-9",
      reason: "undecodable",
      detail: "bad bytes",
      origin: { topic: "order-events", partition: 2, offset: 41, consumerGroup: "inventory-service" },
      failedAt: new Date("2030-01-01T00:00:00.000Z"),
      key: Buffer.from("k"),
      value: Buffer.from([1, 2]),
      headers: { traceparent: Buffer.from("00-abc") },
    });
  });

  it("ignores a record without the origin headers", () => {
    expect(
      deadLetterOf("dead-letters", 0, { offset: "1", key: null, value: null, headers: {} }),
    ).toBeUndefined();
  });
});
