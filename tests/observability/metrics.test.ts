import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { parseTraceparent } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, type OrderView, uniqueSku } from "../support/api.js";
import { readTopic, testKafka } from "../support/kafka.js";
import { TestSystem } from "../support/system.js";
import { parseExposition, type Sample, select, total } from "./prometheus.js";

interface TimelineEntry {
  type: string;
  direction: "EMITTED" | "RECEIVED";
  event: { metadata: { eventId: string; traceparent: string | null } };
}

type LogLine = Record<string, unknown> & { msg?: string };

async function scrape(baseUrl: string): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/** Scrapes until `ready` holds: counters move after the effect they count is durable, not before. */
async function scrapeUntil(
  baseUrl: string,
  what: string,
  ready: (samples: Sample[]) => boolean,
): Promise<Sample[]> {
  return eventually(what, async () => {
    const samples = await scrape(baseUrl);
    return ready(samples) ? samples : undefined;
  });
}

async function logLines(service: "order" | "inventory"): Promise<LogLine[]> {
  const text = await readFile(join(settings.stackDir, "test-logs", `${service}.log`), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits until a service has logged a line with `msg` about `traceId`; returns every line of the trace. */
async function traceLines(service: "order" | "inventory", traceId: string, msg: string): Promise<LogLine[]> {
  return eventually(`${service} to log "${msg}" in trace ${traceId}`, async () => {
    const lines = (await logLines(service)).filter((line) => line.traceId === traceId);
    return lines.some((line) => line.msg === msg) ? lines : undefined;
  });
}

describe("observability: metrics, one trace per saga, logs that name order and trace", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let alice: ApiClient;
  const traceId = randomBytes(16).toString("hex");
  const callerSpanId = randomBytes(8).toString("hex");
  let order: OrderView;
  let timeline: TimelineEntry[];

  beforeAll(async () => {
    // Per-event lines ("handled <Type>", "published <Type>") are debug lines; runs are logged at info.
    system = await TestSystem.start({ order: { LOG_LEVEL: "debug" }, inventory: { LOG_LEVEL: "debug" } });
    admin = system.client("stock-admin", { admin: true });
    alice = system.client(`alice-${randomUUID()}`);

    const [a, b] = [uniqueSku("OBS"), uniqueSku("OBS")];
    await admin.createProduct(a, 10);
    await admin.createProduct(b, 4);
    const placed = await alice.request<OrderView>(
      "order",
      "POST",
      "/orders",
      {
        items: [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 4 },
        ],
      },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(placed.status).toBe(202);
    order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("CONFIRMED");
    timeline = await eventually("StockCommitted in the timeline", async () => {
      const reply = await alice.request<{ events: TimelineEntry[] }>(
        "order",
        "GET",
        `/orders/${order.orderId}/timeline`,
      );
      return reply.body.events.some((entry) => entry.type === "StockCommitted")
        ? reply.body.events
        : undefined;
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  // Without an OTLP endpoint no span is recorded: each event carries the caller's context on.
  // The spans of each step, when they are recorded, are checked in traces.test.ts.
  it("carries the caller's trace through every event of the saga", () => {
    expect(timeline.map((entry) => `${entry.direction} ${entry.type}`)).toEqual([
      "EMITTED OrderRequested",
      "RECEIVED StockRequestAnswered",
      "EMITTED OrderConfirmed",
      "RECEIVED StockCommitted",
    ]);
    for (const entry of timeline) {
      const span = parseTraceparent(entry.event.metadata.traceparent);
      expect(span, `${entry.type} carries a traceparent`).toBeDefined();
      expect(span?.traceId, `${entry.type} is in the caller's trace`).toBe(traceId);
      expect(span?.spanId, `${entry.type} carries the caller's span on`).toBe(callerSpanId);
    }
  });

  it("puts the traceparent of each event into its Kafka record's headers", async () => {
    const kafka = testKafka();
    const records = (await readTopic(kafka, "order-events")).filter(
      (record) => record.message.key?.toString() === order.orderId,
    );
    expect(records.map((record) => record.message.headers?.["event-type"]?.toString())).toEqual([
      "OrderRequested",
      "OrderConfirmed",
    ]);
    const emitted = new Map(timeline.map((entry) => [entry.event.metadata.eventId, entry]));
    for (const record of records) {
      const eventId = record.message.headers?.["event-id"]?.toString() ?? "";
      expect(record.message.headers?.traceparent?.toString()).toBe(
        emitted.get(eventId)?.event.metadata.traceparent,
      );
    }
  });

  it("serves the order service's metrics: saga decisions, events, HTTP routes, outbox, lag, process", async () => {
    const samples = await scrapeUntil(
      system.url("order"),
      "the order service to count StockCommitted",
      (s) =>
        (total(s, "stocksaga_events_consumed_total", { type: "StockCommitted", outcome: "handled" }) ?? 0) >=
        1,
    );

    expect(total(samples, "stocksaga_saga_decisions_total", { outcome: "CONFIRMED" })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      total(samples, "stocksaga_saga_duration_seconds_count", { outcome: "CONFIRMED" }),
    ).toBeGreaterThanOrEqual(1);
    const sagaSeconds = total(samples, "stocksaga_saga_duration_seconds_sum", { outcome: "CONFIRMED" }) ?? -1;
    expect(sagaSeconds).toBeGreaterThan(0);
    expect(sagaSeconds).toBeLessThan(60);

    for (const type of ["OrderRequested", "OrderConfirmed"]) {
      expect(
        total(samples, "stocksaga_events_produced_total", { topic: "order-events", type }),
        `${type} produced`,
      ).toBeGreaterThanOrEqual(1);
    }
    expect(
      total(samples, "stocksaga_events_consumed_total", {
        topic: "reservation-events",
        type: "StockRequestAnswered",
        outcome: "handled",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(samples, "stocksaga_event_handler_duration_seconds_count", { type: "StockRequestAnswered" }),
    ).toBeGreaterThanOrEqual(1);
    expect(total(samples, "stocksaga_outbox_relay_latency_seconds_count")).toBeGreaterThanOrEqual(2);

    const backlog = select(samples, "stocksaga_outbox_backlog_events");
    expect(backlog).toHaveLength(1);
    expect(backlog[0]?.value).toBeGreaterThanOrEqual(0);
    // A healthy relay: the series exists and no drain failed.
    expect(total(samples, "stocksaga_outbox_relay_failures_total")).toBe(0);

    const lag = select(samples, "stocksaga_consumer_lag_messages", { topic: "reservation-events" });
    expect(lag.length).toBeGreaterThan(0);
    for (const partition of lag) {
      expect(partition.labels.partition).toMatch(/^\d+$/);
      expect(partition.value).toBeGreaterThanOrEqual(0);
    }

    expect(
      total(samples, "stocksaga_http_request_duration_seconds_count", {
        method: "POST",
        route: "/orders",
        status: "202",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(samples, "stocksaga_http_request_duration_seconds_count", {
        method: "GET",
        route: "/orders/:orderId",
        status: "200",
      }),
    ).toBeGreaterThanOrEqual(1);
    const routes = new Set(
      select(samples, "stocksaga_http_request_duration_seconds_count").map((s) => s.labels.route),
    );
    expect([...routes].filter((route) => route?.includes(order.orderId))).toEqual([]);

    expect(total(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("serves the inventory's metrics: reservations, events, lag", async () => {
    const samples = await scrapeUntil(
      system.url("inventory"),
      "the inventory to count OrderConfirmed",
      (s) =>
        (total(s, "stocksaga_events_consumed_total", { type: "OrderConfirmed", outcome: "handled" }) ?? 0) >=
        1,
    );

    expect(
      total(samples, "stocksaga_events_consumed_total", {
        topic: "order-events",
        type: "OrderRequested",
        outcome: "handled",
      }),
    ).toBeGreaterThanOrEqual(1);
    for (const type of ["StockRequestAnswered", "StockCommitted"]) {
      expect(
        total(samples, "stocksaga_events_produced_total", { topic: "reservation-events", type }),
        `${type} produced`,
      ).toBeGreaterThanOrEqual(1);
    }
    expect(
      total(samples, "stocksaga_stock_line_answers_total", { outcome: "RESERVED" }),
    ).toBeGreaterThanOrEqual(2);
    expect(total(samples, "stocksaga_stock_units_total", { movement: "reserved" })).toBeGreaterThanOrEqual(7);
    expect(select(samples, "stocksaga_outbox_backlog_events")).toHaveLength(1);
    expect(
      select(samples, "stocksaga_consumer_lag_messages", { topic: "order-events" }).length,
    ).toBeGreaterThan(0);
    expect(
      total(samples, "stocksaga_http_request_duration_seconds_count", {
        method: "POST",
        route: "/products",
        status: "201",
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(total(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("counts a message it cannot decode as dead-lettered, by reason", async () => {
    const kafka = testKafka();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "reservation-events",
      messages: [{ key: randomUUID(), value: Buffer.from("not an Avro record") }],
    });
    await producer.disconnect();

    const samples = await scrapeUntil(
      system.url("order"),
      "the order service to dead-letter the poison",
      (s) => (total(s, "stocksaga_dead_letters_total", { topic: "reservation-events" }) ?? 0) >= 1,
    );
    expect(
      total(samples, "stocksaga_dead_letters_total", {
        topic: "reservation-events",
        reason: "DECODE_WRONG_MAGIC_BYTE",
      }),
    ).toBe(1);
    expect(
      total(samples, "stocksaga_events_consumed_total", {
        topic: "reservation-events",
        type: "unknown",
        outcome: "dead_lettered",
      }),
    ).toBe(1);
  });

  it("logs the saga in both services under the order id and the trace id", async () => {
    const orderLines = await traceLines("order", traceId, "handled StockCommitted");
    const inventoryLines = await traceLines("inventory", traceId, "handled OrderConfirmed");

    for (const msg of [
      "request",
      "order placed",
      "published OrderRequested",
      "handled StockRequestAnswered",
    ]) {
      expect(
        orderLines.find((line) => line.msg === msg),
        `order service logs "${msg}"`,
      ).toMatchObject({
        orderId: order.orderId,
        traceId,
      });
    }
    expect(orderLines.find((line) => line.msg === "request")).toMatchObject({
      method: "POST",
      path: "/orders",
      status: 202,
    });
    for (const msg of [
      "handled OrderRequested",
      "published StockRequestAnswered",
      "published StockCommitted",
    ]) {
      expect(
        inventoryLines.find((line) => line.msg === msg),
        `inventory logs "${msg}"`,
      ).toMatchObject({
        orderId: order.orderId,
        traceId,
      });
    }
    const handled = [...orderLines, ...inventoryLines].filter((line) =>
      String(line.msg).startsWith("handled "),
    );
    for (const line of handled) expect(line.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(handled.map((line) => line.service))).toEqual(
      new Set(["order-service", "inventory-service"]),
    );
  });
});
