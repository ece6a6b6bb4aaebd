import type { ChangeFeed, DeadLetterView } from "@stocksaga/messaging";
import { createLogger, createMetricsRegistry, issueToken } from "@stocksaga/platform";
import {
  type DocumentedOperation,
  generateRequest,
  missingSchemas,
  type OpenApiDocument,
  openApiProblems,
  operationsOf,
  responseProblems,
} from "@stocksaga/platform/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { OrderApplication } from "../application/orders.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { createOrderHttpApp } from "./app.js";

const SECRET = "contract-test-secret-of-at-least-32-chars";

/** One dead letter, as the admin routes show it: found by the id its schema's example names. */
const LETTER: DeadLetterView = {
  id: "dead-letters-0-42",
  reason: "undecodable",
  detail: "unknown magic byte",
  origin: { topic: "reservation-events", partition: 0, offset: 7, consumerGroup: "order-service" },
  failedAt: "2030-01-01T10:00:00.000Z",
  key: null,
  payload: { decoded: false, hex: "00", error: "unknown magic byte" },
  replays: [],
};

const deadLetters = {
  list: async () => [LETTER],
  get: async (id: string) => (id === LETTER.id ? LETTER : undefined),
  replay: async () => ({
    outcome: "replayed" as const,
    letter: { ...LETTER, replays: [{ at: "2030-01-01T11:00:00.000Z", by: "admin", forced: false }] },
  }),
};

/** No change is ever announced: a stream answers with the order as it stands, and ends when it is final. */
const quietFeed = { subscribe: () => () => {}, onClose: () => () => {} } as unknown as ChangeFeed;

function api() {
  const store = new InMemoryOrderStore();
  const orders = new OrderApplication({
    store,
    decisionTimeoutMs: 30_000,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
  });
  return createOrderHttpApp({
    store,
    orders,
    changes: quietFeed,
    deadLetters,
    jwtSecret: SECRET,
    logger: createLogger("order-contract", "silent"),
    readiness: [],
    metrics: createMetricsRegistry(),
  });
}

/** The order of a customer's life with an order: place, read, cancel, then follow the (final) stream. */
const LATER = ["POST /orders/{orderId}/cancel", "GET /orders/{orderId}/events"];
const inLifeOrder = (a: DocumentedOperation, b: DocumentedOperation) =>
  LATER.indexOf(a.name) - LATER.indexOf(b.name) ||
  Number(b.name === "POST /orders") - Number(a.name === "POST /orders");

describe("the order service's OpenAPI document", () => {
  let document: OpenApiDocument;

  beforeAll(async () => {
    const response = await api().request("/openapi.json");
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(document.openapi).toBe("3.1.0");
    expect(await openApiProblems(document)).toEqual([]);
  }, 60_000);

  it("documents every route, each with request and response schemas and problem+json errors", () => {
    expect(
      operationsOf(document)
        .map((o) => o.name)
        .sort(),
    ).toEqual([
      "GET /admin/dead-letters",
      "GET /admin/dead-letters/{id}",
      "GET /health/live",
      "GET /health/ready",
      "GET /metrics",
      "GET /orders",
      "GET /orders/{orderId}",
      "GET /orders/{orderId}/events",
      "GET /orders/{orderId}/timeline",
      "POST /admin/dead-letters/{id}/replay",
      "POST /orders",
      "POST /orders/{orderId}/cancel",
    ]);
    expect(missingSchemas(document)).toEqual([]);
    const place = document.paths["/orders"]?.post;
    expect(place?.requestBody?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/PlaceOrder",
    });
    expect(place?.parameters?.map((p) => [p.in, p.name])).toEqual([["header", "idempotency-key"]]);
    expect(
      Object.keys(document.paths["/orders/{orderId}/events"]?.get?.responses?.["200"]?.content ?? {}),
    ).toEqual(["text/event-stream"]);
  });

  it("answers a generated valid request to every operation with a documented success", async () => {
    const app = api();
    // An admin: the dead-letter routes need the role, and an admin places and reads orders too.
    const token = await issueToken(SECRET, { sub: "contract-admin", roles: ["admin"] });
    const given: Record<string, string> = {};
    const answered: string[] = [];
    for (const operation of operationsOf(document).sort(inLifeOrder)) {
      const request = generateRequest(document, operation, given, { authorization: `Bearer ${token}` });
      const response = await app.request(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      const what = `${operation.name} → ${response.status}`;
      if (operation.name === "POST /orders")
        given.orderId = ((await response.clone().json()) as { orderId: string }).orderId;
      expect(await responseProblems(document, operation.operation, response), what).toEqual([]);
      expect(response.status, what).toBeLessThan(300);
      answered.push(operation.name);
    }
    expect(answered).toHaveLength(operationsOf(document).length);
  }, 60_000);
});
