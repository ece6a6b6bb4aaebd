import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, type OrderView, uniqueSku } from "../support/api.js";
import { OtlpReceiver, type ReceivedSpan, SPAN_KIND } from "../support/otlp.js";
import { TestSystem } from "../support/system.js";

interface TimelineEntry {
  type: string;
  direction: "EMITTED" | "RECEIVED";
  event: { metadata: { eventId: string } };
}

/** The saga of a confirmed order, as the order service records it: producer, then consumer of each. */
const SAGA = [
  { type: "OrderRequested", producer: "order-service", consumer: "inventory-service", topic: "order-events" },
  {
    type: "StockRequestAnswered",
    producer: "inventory-service",
    consumer: "order-service",
    topic: "reservation-events",
  },
  { type: "OrderConfirmed", producer: "order-service", consumer: "inventory-service", topic: "order-events" },
  {
    type: "StockCommitted",
    producer: "inventory-service",
    consumer: "order-service",
    topic: "reservation-events",
  },
] as const;

describe("observability: one order's saga is one OpenTelemetry trace across both services", () => {
  let receiver: OtlpReceiver;
  let system: TestSystem;
  let alice: ApiClient;
  const traceId = randomBytes(16).toString("hex");
  const callerSpanId = randomBytes(8).toString("hex");
  let order: OrderView;
  let eventIds: Map<string, string>;
  let spans: ReceivedSpan[];

  const one = (what: string, match: (span: ReceivedSpan) => boolean): ReceivedSpan => {
    const found = spans.filter(match);
    expect(found, what).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };
  const messageSpan = (kind: number, eventId: string) =>
    one(`${kind === SPAN_KIND.PRODUCER ? "producer" : "consumer"} span of ${eventId}`, (span) => {
      return span.kind === kind && span.attributes["messaging.message.id"] === eventId;
    });

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    };
    system = await TestSystem.start({ order: otel, inventory: otel });
    const admin = system.client("stock-admin", { admin: true });
    alice = system.client(`alice-${randomUUID()}`);
    const sku = uniqueSku("OTEL");
    await admin.createProduct(sku, 5);
    const placed = await alice.request<OrderView>(
      "order",
      "POST",
      "/orders",
      { items: [{ sku, quantity: 2 }] },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(placed.status).toBe(202);
    order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("CONFIRMED");
    const timeline = await eventually("StockCommitted in the timeline", async () => {
      const reply = await alice.request<{ events: TimelineEntry[] }>(
        "order",
        "GET",
        `/orders/${order.orderId}/timeline`,
      );
      return reply.body.events.some((entry) => entry.type === "StockCommitted")
        ? reply.body.events
        : undefined;
    });
    eventIds = new Map(timeline.map((entry) => [entry.type, entry.event.metadata.eventId]));
    // Spans arrive once their batch is exported, each service's on its own schedule: wait until
    // both services' batches are in (a producer and a consumer span of every saga event) and the
    // consumption of the last event has its commit.
    spans = await eventually("the spans of the whole saga", async () => {
      const received = receiver.trace(traceId);
      const last = eventIds.get("StockCommitted");
      const hasSpan = (kind: number, eventId: string | undefined) =>
        received.some((span) => span.kind === kind && span.attributes["messaging.message.id"] === eventId);
      const everyEvent = SAGA.every(
        (step) =>
          hasSpan(SPAN_KIND.PRODUCER, eventIds.get(step.type)) &&
          hasSpan(SPAN_KIND.CONSUMER, eventIds.get(step.type)),
      );
      const done = received.some(
        (span) =>
          span.kind === SPAN_KIND.CONSUMER &&
          span.attributes["messaging.message.id"] === last &&
          received.some((s) => s.name === "order reactions commit" && s.parentSpanId === span.spanId),
      );
      return everyEvent && done ? received : undefined;
    });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  it("holds spans of both services in the caller's trace", () => {
    expect(new Set(spans.map((span) => span.service))).toEqual(
      new Set(["order-service", "inventory-service"]),
    );
  });

  it("starts with the POST, a server span named by its route, child of the caller", () => {
    const post = one("the POST", (span) => span.kind === SPAN_KIND.SERVER && span.name === "POST /orders");
    expect(post).toMatchObject({
      service: "order-service",
      parentSpanId: callerSpanId,
      attributes: {
        "http.request.method": "POST",
        "http.route": "/orders",
        "http.response.status_code": 202,
      },
    });
    const commit = one("the placement commit", (span) => span.name === "order placement commit");
    expect(commit.parentSpanId).toBe(post.spanId);
    expect(commit.attributes["db.system.name"]).toBe("postgresql");
  });

  it("produces and consumes every saga event, each consumer a child of its producer", () => {
    for (const step of SAGA) {
      const eventId = eventIds.get(step.type) ?? "";
      const producer = messageSpan(SPAN_KIND.PRODUCER, eventId);
      const consumer = messageSpan(SPAN_KIND.CONSUMER, eventId);
      expect(producer, `${step.type} produced`).toMatchObject({
        service: step.producer,
        name: `send ${step.topic}`,
        attributes: {
          "messaging.system": "kafka",
          "messaging.destination.name": step.topic,
          "messaging.operation.type": "send",
          "stocksaga.event.type": step.type,
        },
      });
      expect(consumer, `${step.type} consumed`).toMatchObject({
        service: step.consumer,
        name: `process ${step.topic}`,
        parentSpanId: producer.spanId,
        attributes: {
          "messaging.system": "kafka",
          "messaging.destination.name": step.topic,
          "messaging.operation.type": "process",
        },
      });
    }
  });

  it("publishes each event under the span that decided it", () => {
    const post = one("the POST", (span) => span.name === "POST /orders");
    const [requested = "", answered = "", confirmed = "", committed = ""] = SAGA.map(
      (step) => eventIds.get(step.type) ?? "",
    );
    expect(messageSpan(SPAN_KIND.PRODUCER, requested).parentSpanId).toBe(post.spanId);
    expect(messageSpan(SPAN_KIND.PRODUCER, answered).parentSpanId).toBe(
      messageSpan(SPAN_KIND.CONSUMER, requested).spanId,
    );
    expect(messageSpan(SPAN_KIND.PRODUCER, confirmed).parentSpanId).toBe(
      messageSpan(SPAN_KIND.CONSUMER, answered).spanId,
    );
    expect(messageSpan(SPAN_KIND.PRODUCER, committed).parentSpanId).toBe(
      messageSpan(SPAN_KIND.CONSUMER, confirmed).spanId,
    );
  });

  it("records the transaction of every reaction under the span of the event it applies", () => {
    for (const step of SAGA) {
      const consumer = messageSpan(SPAN_KIND.CONSUMER, eventIds.get(step.type) ?? "");
      const name =
        step.consumer === "order-service" ? "order reactions commit" : "inventory reactions commit";
      const commit = one(
        `the transaction applying ${step.type}`,
        (span) => span.parentSpanId === consumer.spanId && span.name === name,
      );
      expect(commit).toMatchObject({
        service: step.consumer,
        attributes: { "db.system.name": "postgresql" },
      });
    }
  });

  it("records the saga's decision on the span of the answer that settled it", () => {
    const answer = messageSpan(SPAN_KIND.CONSUMER, eventIds.get("StockRequestAnswered") ?? "");
    expect(answer.events).toContainEqual({
      name: "saga decision",
      attributes: { "stocksaga.order.id": order.orderId, "stocksaga.decision": "CONFIRMED" },
    });
    const decisions = spans.flatMap((span) => span.events.filter((event) => event.name === "saga decision"));
    expect(decisions).toHaveLength(1);
  });
});

describe("observability: a graceful stop exports the spans still waiting for their batch", () => {
  it("delivers a request's span on SIGTERM, though its batch was due in ten minutes", async () => {
    const receiver = await OtlpReceiver.start();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "600000",
    };
    const system = await TestSystem.start({ order: otel, inventory: otel });
    try {
      const traceId = randomBytes(16).toString("hex");
      const bob = system.client(`bob-${randomUUID()}`);
      const caller = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
      const reply = await bob.request("order", "GET", "/orders", undefined, { traceparent: caller });
      expect(reply.status).toBe(200);
      expect(receiver.trace(traceId)).toEqual([]);
      expect(await system.stopService("order")).toBe(0);
      expect(receiver.trace(traceId).map((span) => [span.service, span.name])).toEqual([
        ["order-service", "GET /orders"],
      ]);
    } finally {
      await system.stop();
      await receiver.stop();
    }
  });
});
