import { describe, expect, it } from "vitest";
import { childSpan, formatTraceparent, parseTraceparent } from "./tracing.js";

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
    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
  ])("ignores %j", (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it("keeps the trace id in a child span and makes a new span id", () => {
    const parent = childSpan();
    const child = childSpan(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.spanId).not.toBe(parent.spanId);
  });
});
