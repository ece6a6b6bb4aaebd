import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { contextOf, formatTraceparent, parseTraceparent, tracer, withTraceId } from "./tracing.js";

describe("traceparent", () => {
  it("round-trips a valid header", () => {
    const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const context = parseTraceparent(header);
    expect(context).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
    });
    expect(context && formatTraceparent(context)).toBe(header);
  });

  it.each([
    "",
    "garbage",
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
  ])("ignores %j", (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it("reads a later version's header as version 00, as W3C trace context asks", () => {
    expect(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true,
    });
  });

  it("gives a flow without a trace a new root, and keeps the trace it has", () => {
    const root = trace.getSpanContext(withTraceId(ROOT_CONTEXT));
    expect(root?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.getSpanContext(withTraceId(ROOT_CONTEXT))?.traceId).not.toBe(root?.traceId);
    const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(trace.getSpanContext(withTraceId(contextOf(header)))?.traceId).toBe(
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
  });

  it("passes the parent on when no SDK records spans", () => {
    const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const span = tracer().startSpan("work", {}, contextOf(header));
    expect(span.isRecording()).toBe(false);
    expect(formatTraceparent(span.spanContext())).toBe(header);
  });
});
