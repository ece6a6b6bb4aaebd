import { randomBytes } from "node:crypto";
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { tracingActive } from "./telemetry.js";

/** W3C trace context (https://www.w3.org/TR/trace-context/) as it travels in a header or an event. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/**
 * The W3C propagator itself, not the global one: events carry a traceparent whether or not an SDK
 * is started, and the global propagator is a no-op until one is.
 */
const w3c = new W3CTraceContextPropagator();

/** The spans of this project's code: a no-op tracer until `startTelemetry` registers a provider. */
export function tracer(): Tracer {
  return trace.getTracer("stocksaga");
}

/** The context a traceparent names as the remote parent; `base` unchanged for an absent or invalid one. */
export function contextOf(traceparent: string | null | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!traceparent) return base;
  return w3c.extract(base, { traceparent }, defaultTextMapGetter);
}

export function parseTraceparent(header: string | undefined | null): TraceContext | undefined {
  const spanContext = trace.getSpanContext(contextOf(header?.trim().toLowerCase()));
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  };
}

export function formatTraceparent(spanContext: SpanContext | TraceContext): string {
  const flags =
    "traceFlags" in spanContext ? spanContext.traceFlags : spanContext.sampled ? TraceFlags.SAMPLED : 0;
  const carrier: Record<string, string> = {};
  w3c.inject(
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      traceFlags: flags,
    }),
    carrier,
    defaultTextMapSetter,
  );
  const header = carrier.traceparent;
  if (!header) throw new Error(`not a valid span context: ${spanContext.traceId}/${spanContext.spanId}`);
  return header;
}

/**
 * `parent` with a valid span context: as it is when it has one; otherwise with a new root (a
 * sampled, random trace id). With no SDK started, spans are no-ops that only pass their parent
 * on, so this is what gives every flow a trace id to log and carry in its events.
 */
export function withTraceId(parent: Context): Context {
  const current = trace.getSpanContext(parent);
  if (current && isSpanContextValid(current)) return parent;
  return trace.setSpanContext(parent, {
    traceId: randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    traceFlags: TraceFlags.SAMPLED,
  });
}

/** `traceparent` when it is a valid one, else the root of a new trace: what an event carries on. */
export function traceparentOrNew(traceparent: string | null | undefined): string {
  const spanContext = trace.getSpanContext(withTraceId(contextOf(traceparent)));
  if (!spanContext) throw new Error("withTraceId gave no span context");
  return formatTraceparent(spanContext);
}

/** The traceparent of a span: its own context when recorded, its parent's when the tracer is a no-op. */
export function traceparentOf(span: Span): string | undefined {
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? formatTraceparent(spanContext) : undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  parent?: Context;
  links?: Link[];
  attributes?: Attributes;
  startTime?: number;
}

const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `work` in a new span (the active one meanwhile): the span records a thrown error and ends
 * when `work` settles. With no SDK started, `work` runs at once with a span that records nothing,
 * and `options` (a function, so that links are not even computed) is not called.
 */
export async function inSpan<T>(
  name: string,
  spanOptions: SpanOptions | (() => SpanOptions),
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return work(NOT_RECORDED);
  const options = typeof spanOptions === "function" ? spanOptions() : spanOptions;
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    {
      ...(options.kind !== undefined ? { kind: options.kind } : {}),
      ...(options.links ? { links: options.links } : {}),
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed by `error` (recorded as an exception event). */
export function failed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** A link to the span a traceparent names, for a span that stands for several flows at once. */
export function linkTo(traceparent: string | null | undefined): Link[] {
  const spanContext = trace.getSpanContext(contextOf(traceparent));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}
