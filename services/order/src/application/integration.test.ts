import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { causedBy, startedByClock } from "@stocksaga/messaging";
import { parseTraceparent } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { orderConfirmed } from "../domain/testing.js";
import { toIntegrationEvents } from "./integration.js";

describe("causation and trace context of the order service's events", () => {
  it("an event emitted in reaction carries a child span of the consumed event's trace", () => {
    const received = SAMPLE_EVENTS.StockReserved;
    const [emitted] = toIntegrationEvents([orderConfirmed()], causedBy(received));
    expect(emitted?.metadata.causationId).toBe(received.metadata.eventId);
    const parent = parseTraceparent(received.metadata.traceparent);
    const child = parseTraceparent(emitted?.metadata.traceparent);
    expect(child?.traceId).toBe(parent?.traceId);
    expect(child?.spanId).not.toBe(parent?.spanId);
  });

  it("a reaction to an event without trace context starts a trace of its own", () => {
    const received = {
      ...SAMPLE_EVENTS.StockCommitted,
      metadata: { ...SAMPLE_EVENTS.StockCommitted.metadata, traceparent: null },
    };
    expect(parseTraceparent(causedBy(received).traceparent)?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("the sweeper's changes have no cause and start a new trace each", () => {
    const [a, b] = [startedByClock(), startedByClock()];
    expect(a.causationId).toBeNull();
    expect(parseTraceparent(a.traceparent)).toBeDefined();
    expect(parseTraceparent(a.traceparent)?.traceId).not.toBe(parseTraceparent(b.traceparent)?.traceId);
  });
});
