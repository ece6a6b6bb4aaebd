import { Writable } from "node:stream";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { logPublished } from "./event-logging.js";
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
