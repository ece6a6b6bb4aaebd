import { Writable } from "node:stream";
import type { ChangeFeed } from "@stocksaga/messaging";
import { createLogger, issueToken, parseTraceparent } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import type { OrderApplication, PlaceOrderRequest } from "../application/orders.js";
import { decide, evolve, initialState, type Order } from "../domain/index.js";
import { placeOrder } from "../domain/testing.js";
import type { OrderStore } from "../persistence/order-store.js";
import { createOrderHttpApp } from "./app.js";

const secret = "component-test-secret-0123456789abcdef";
const ORDER_ID = "5b0e6c1e-8f4a-4c3b-9d2e-1a7f3c5e9b80";
const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function placed(): Order {
  const command = placeOrder({ orderId: ORDER_ID });
  return decide(command, initialState()).reduce(evolve, initialState()) as Order;
}

function harness() {
  const lines: Record<string, unknown>[] = [];
  const requests: PlaceOrderRequest[] = [];
  const orders = {
    placeOrder: async (request: PlaceOrderRequest) => {
      requests.push(request);
      return { order: placed(), replayed: false };
    },
  } as unknown as OrderApplication;
  const app = createOrderHttpApp({
    store: {} as OrderStore,
    orders,
    changes: {} as ChangeFeed,
    jwtSecret: secret,
    logger: createLogger(
      "order-service",
      "info",
      new Writable({
        write: (chunk, _encoding, callback) => {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          callback();
        },
      }),
    ),
    readiness: [],
  });
  const place = async (headers: Record<string, string> = {}) =>
    app.request("/orders", {
      method: "POST",
      body: JSON.stringify({ items: [{ sku: "SKU-A", quantity: 2 }] }),
      headers: {
        authorization: `Bearer ${await issueToken(secret, { sub: "customer-1" })}`,
        "content-type": "application/json",
        ...headers,
      },
    });
  return { lines, requests, place };
}

describe("trace context and log fields of order routes", () => {
  it("places the order in the caller's trace, and logs the trace and span ids", async () => {
    const { lines, requests, place } = harness();
    expect((await place({ traceparent: CALLER })).status).toBe(202);

    // No SDK here: no span is recorded, so the request's context is the caller's own.
    const span = parseTraceparent(requests[0]?.traceparent);
    expect(span).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
    });

    // At info, the access line is the one line of a placement; it names the order and the trace.
    expect(lines.filter((line) => line.msg !== "request")).toEqual([]);
    expect(lines.find((line) => line.msg === "request")).toMatchObject({
      method: "POST",
      path: "/orders",
      status: 202,
      orderId: ORDER_ID,
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
    });
  });

  it("starts a new trace when the caller sends none, or one that is malformed", async () => {
    const { lines, requests, place } = harness();
    await place();
    await place({ traceparent: "00-not-a-trace-01" });

    const [first, second] = requests.map((request) => parseTraceparent(request.traceparent));
    expect(first?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.traceId).not.toBe(second?.traceId);
    expect(lines.filter((line) => line.msg === "request").map((line) => line.traceId)).toEqual([
      first?.traceId,
      second?.traceId,
    ]);
  });

  it("logs the trace id of a request that authentication refused", async () => {
    const { lines, place } = harness();
    const response = await place({ authorization: "Bearer forged", traceparent: CALLER });
    expect(response.status).toBe(401);
    expect(lines.find((line) => line.msg === "request")).toMatchObject({
      status: 401,
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
  });
});
