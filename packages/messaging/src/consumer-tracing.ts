import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { contextOf, failed, tracer, tracingActive } from "@stocksaga/platform";
import type { BatchHandler, ConsumedMessage } from "./consumer.js";
import { handledIn } from "./envelope.js";

function consumeSpan(message: ConsumedMessage<IntegrationEvent>, groupId: string): Span {
  // The header names the producer's span; the event's own context is what was stored with it.
  const parent = contextOf(message.headers.traceparent ?? message.event.metadata.traceparent);
  return tracer().startSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": message.topic,
        "messaging.destination.partition.id": String(message.partition),
        "messaging.consumer.group.name": groupId,
        "messaging.message.id": message.event.metadata.eventId,
        "messaging.kafka.offset": Number(message.offset),
        ...(message.key !== null ? { "messaging.kafka.message.key": message.key } : {}),
        "stocksaga.event.type": message.event.type,
      },
    },
    parent,
  );
}

/**
 * Traces a batch handler: each message is handled in a CONSUMER span, the child of the producer's
 * span its `traceparent` header names (of the event's own context, without one), so that one
 * saga is one trace. A run applied in one transaction runs under its first message's span, which
 * links the other messages' spans (and each of them links back). A refused message's span ends in
 * error. With tracing off it is the handler itself.
 */
export function traceConsumption(
  handleBatch: BatchHandler<IntegrationEvent>,
  groupId: string,
): BatchHandler<IntegrationEvent> {
  return async (messages) => {
    if (!tracingActive() || messages.length === 0) return handleBatch(messages);
    const spans = messages.map((message) => {
      const span = consumeSpan(message, groupId);
      handledIn(message.event, span);
      return span;
    });
    const [first, ...others] = spans;
    if (!first) return handleBatch(messages);
    if (others.length > 0) {
      first.addLinks(others.map((span) => ({ context: span.spanContext() })));
      for (const span of others) span.addLink({ context: first.spanContext() });
      first.setAttribute("messaging.batch.message_count", spans.length);
    }
    try {
      const outcomes = await context.with(trace.setSpan(context.active(), first), () =>
        handleBatch(messages),
      );
      outcomes.forEach((refusal, index) => {
        if (refusal) spans[index]?.setStatus({ code: SpanStatusCode.ERROR, message: refusal.message });
      });
      return outcomes;
    } catch (error) {
      for (const span of spans) failed(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  };
}
