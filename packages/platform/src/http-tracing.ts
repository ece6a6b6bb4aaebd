import { context, ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routeOf } from "./metrics.js";
import { contextOf, formatTraceparent, tracer, withTraceId } from "./tracing.js";

/** A provider with no delegate hands out no-op tracers. */
const noopTracer = new ProxyTracerProvider().getTracer("stocksaga");

/** What a request's handlers know of its trace: its server span, as a traceparent and as ids to log. */
export interface RequestTrace {
  /** The request's span: a child of the caller's `traceparent`, or the root of a new trace. */
  traceparent: string;
  traceId: string;
  spanId: string;
}

/**
 * One SERVER span per request, a child of the caller's `traceparent`, named by the route pattern
 * that answered (`POST /orders/:orderId/cancellation`) and ended with its status code. Handlers
 * read the span's trace from `c.var.trace`: with no SDK started it still names a trace (the
 * caller's, or a new one), which the events of the request carry on.
 */
export function traceRequests(
  untraced: (path: string) => boolean = () => false,
): MiddlewareHandler<{ Variables: { trace: RequestTrace } }> {
  return async (c, next) => {
    const method = c.req.method;
    const parent = contextOf(c.req.header("traceparent"));
    // Probes and scrapes every few seconds would bury the traces people look for.
    const span = (untraced(c.req.path) ? noopTracer : tracer()).startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": method, "url.path": c.req.path, "url.scheme": "http" },
      },
      parent,
    );
    const active = withTraceId(trace.setSpan(parent, span));
    const spanContext = trace.getSpanContext(active);
    if (spanContext) {
      c.set("trace", {
        traceparent: formatTraceparent(spanContext),
        traceId: spanContext.traceId,
        spanId: spanContext.spanId,
      });
    }
    try {
      await context.with(active, next);
    } finally {
      if (span.isRecording()) {
        const route = routeOf(c);
        const status = c.res.status;
        span.updateName(route === "unmatched" ? method : `${method} ${route}`);
        if (route !== "unmatched") span.setAttribute("http.route", route);
        span.setAttribute("http.response.status_code", status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  };
}
