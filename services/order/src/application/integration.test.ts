import { TraceFlags, trace } from "@opentelemetry/api";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { causedBy, handledIn, startedByClock } from "@stocksaga/messaging";
import { parseTraceparent } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { orderConfirmed } from "../domain/testing.js";
import { toIntegrationEvents } from "./integration.js";

describe("causation and trace context of the order service's events", () => {
  it("an event emitted in reaction carries the context of the span that handles the consumed one", () => {
    const received = { ...SAMPLE_EVENTS.StockReserved };
    const parent = parseTraceparent(received.metadata.traceparent);
    const handling = trace.wrapSpanContext({
      traceId: parent?.traceId ?? "",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
    handledIn(received, handling);
    const [emitted] = toIntegrationEvents([orderConfirmed()], causedBy(received));
    expect(emitted?.metadata.causationId).toBe(received.metadata.eventId);
    expect(parseTraceparent(emitted?.metadata.traceparent)).toEqual({
      traceId: parent?.traceId,
      spanId: "b7ad6b7169203331",
      sampled: true,
    });
  });

  it("untraced, an event emitted in reaction carries the consumed event's context on", () => {
    const received = { ...SAMPLE_EVENTS.StockReserved };
    expect(causedBy(received).traceparent).toBe(received.metadata.traceparent);
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
