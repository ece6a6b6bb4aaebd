import { Writable } from "node:stream";
import { TraceFlags, trace } from "@opentelemetry/api";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { handledIn } from "./envelope.js";
import { eventLogContext, logPublished } from "./event-logging.js";
import type { OutboxRow } from "./outbox-relay.js";

function recorder(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    new Writable({
      write: (chunk, _encoding, callback) => {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        callback();
      },
    }),
  );
  return { lines, logger };
}

const event = SAMPLE_EVENTS.OrderRequested;
const rows: OutboxRow[] = ["41", "42"].map((id) => ({
  id,
  eventId: event.metadata.eventId,
  eventType: event.type,
  topic: "order-events",
  messageKey: event.orderId,
  payload: event,
  headers: null,
  createdAt: new Date(0),
}));

describe("logPublished", () => {
  it("logs nothing at info: the relay writes no line per event or batch on the hot path", () => {
    const { lines, logger } = recorder("info");
    logPublished(logger, rows);
    expect(lines).toEqual([]);
  });

  it("logs a line per event with its order id and event id, and one per batch, at debug", () => {
    const { lines, logger } = recorder("debug");
    logPublished(logger, rows);
    expect(lines.map((line) => line.msg)).toEqual([
      "published OrderRequested",
      "published OrderRequested",
      "published events",
    ]);
    expect(lines[2]).toMatchObject({ events: 2, fromId: "41", toId: "42" });
    expect(lines[0]).toMatchObject({
      orderId: event.orderId.toLowerCase(),
      eventId: event.metadata.eventId,
      topic: "order-events",
    });
  });

  it("logs nothing at warn", () => {
    const { lines, logger } = recorder("warn");
    logPublished(logger, rows);
    expect(lines).toEqual([]);
  });
});

describe("eventLogContext", () => {
  it("names the order, the event and its trace", () => {
    expect(eventLogContext(event)).toEqual({
      orderId: event.orderId.toLowerCase(),
      traceId: event.metadata.traceparent?.split("-")[1],
      eventId: event.metadata.eventId,
    });
  });

  it("adds the span that handles a consumed event", () => {
    const consumed = { ...event };
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    handledIn(
      consumed,
      trace.wrapSpanContext({ traceId, spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED }),
    );
    expect(eventLogContext(consumed)).toMatchObject({ traceId, spanId: "b7ad6b7169203331" });
  });
});
