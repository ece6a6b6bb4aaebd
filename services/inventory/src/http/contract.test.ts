import type { DeadLetterView } from "@stocksaga/messaging";
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
import { InventoryApplication } from "../application/inventory.js";
import { route } from "../application/testing.js";
import { InMemoryInventoryStore } from "../persistence/in-memory-inventory-store.js";
import { createInventoryHttpApp } from "./app.js";

const SECRET = "contract-test-secret-of-at-least-32-chars";

/** One dead letter, as the admin routes show it: found by the id its schema's example names. */
const LETTER: DeadLetterView = {
  id: "dead-letters-0-42",
  reason: "undecodable",
  detail: "unknown magic byte",
  origin: { topic: "order-events", partition: 0, offset: 7, consumerGroup: "inventory-service" },
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

function api() {
  const store = new InMemoryInventoryStore();
  return createInventoryHttpApp({
    store,
    inventory: new InventoryApplication({ store, route }),
    // No change is announced: the stream sends its snapshot and ends.
    changes: { watch: async function* () {} },
    deadLetters,
    jwtSecret: SECRET,
    logger: createLogger("inventory-contract", "silent"),
    readiness: [],
    metrics: createMetricsRegistry(),
  });
}

/** A product exists before anything reads or adjusts it. */
const createFirst = (a: DocumentedOperation, b: DocumentedOperation) =>
  Number(b.name === "POST /products") - Number(a.name === "POST /products");

describe("the inventory service's OpenAPI document", () => {
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
      "GET /products",
      "GET /products/stream",
      "GET /products/{sku}",
      "GET /reservations",
      "POST /admin/dead-letters/{id}/replay",
      "POST /products",
      "POST /products/{sku}/adjustments",
    ]);
    expect(missingSchemas(document)).toEqual([]);
    expect(
      document.paths["/products/{sku}/adjustments"]?.post?.requestBody?.content?.["application/json"],
    ).toEqual({
      schema: { $ref: "#/components/schemas/AdjustStock" },
    });
    expect(document.paths["/reservations"]?.get?.parameters?.map((p) => [p.in, p.name, p.required])).toEqual([
      ["query", "orderId", true],
    ]);
  });

  it("answers a generated valid request to every operation with a documented success", async () => {
    const app = api();
    const token = await issueToken(SECRET, { sub: "contract-admin", roles: ["admin"] });
    const answered: string[] = [];
    for (const operation of operationsOf(document).sort(createFirst)) {
      const request = generateRequest(document, operation, {}, { authorization: `Bearer ${token}` });
      const response = await app.request(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      const what = `${operation.name} → ${response.status}`;
      expect(await responseProblems(document, operation.operation, response), what).toEqual([]);
      expect(response.status, what).toBeLessThan(300);
      answered.push(operation.name);
    }
    expect(answered).toHaveLength(operationsOf(document).length);
  }, 60_000);
});
