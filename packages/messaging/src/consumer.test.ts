import { Writable } from "node:stream";
import type { ConsumerConfig, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Subscription, type SubscriptionHooks } from "./consumer.js";
import { InvalidEventError } from "./errors.js";

type TestEvent = { type: string; orderId: string; traceId: string };

/** A kafkajs consumer reduced to what Subscription uses; `deliver` plays fetched batches through it. */
function fakeKafka() {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const resolved: string[] = [];
  const consumer = {
    events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop", DISCONNECT: "disconnect" },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (options: { eachBatch: typeof eachBatch }) => {
      eachBatch = options.eachBatch;
    },
    disconnect: async () => undefined,
  };
  const configs: ConsumerConfig[] = [];
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      configs.push(config);
      return consumer;
    },
  } as unknown as Kafka;
  const heartbeats: number[] = [];
  let nextOffset = 7;
  const deliverBatch = async (values: readonly string[]) => {
    if (!eachBatch) throw new Error("not running");
    await eachBatch({
      batch: {
        topic: "order-events",
        partition: 0,
        messages: values.map((value) => ({
          key: Buffer.from("order-1"),
          value: Buffer.from(value),
          offset: String(nextOffset++),
          headers: { traceparent: Buffer.from(`00-${value.length}`) },
        })),
      },
      resolveOffset: (offset: string) => resolved.push(offset),
      heartbeat: async () => {
        heartbeats.push(Date.now());
      },
      commitOffsetsIfNecessary: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  const deliver = (value: string) => deliverBatch([value]);
  return { kafka, deliver, deliverBatch, resolved, configs, heartbeats };
}

function recorder(level = "info") {
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

const deadLetters = {
  producer: { send: async () => undefined } as unknown as Producer,
  topic: "dead-letters",
};

function decodeError(): Error {
  return Object.assign(new Error("unknown schema id 99"), { name: "DecodeError", kind: "UNKNOWN_SCHEMA" });
}

describe("Subscription hooks and log lines", () => {
  it("names the event type and the event's log fields when a handled attempt is retried", async () => {
    const { kafka, deliver } = fakeKafka();
    const { lines, logger } = recorder();
    const calls: unknown[][] = [];
    const hooks: SubscriptionHooks = {
      handled: (...args) => calls.push(["handled", ...args]),
      retried: (...args) => calls.push(["retried", ...args]),
      deadLettered: (...args) => calls.push(["deadLettered", ...args]),
    };
    let failures = 1;
    const subscription = new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) => JSON.parse(value.toString()) as TestEvent,
      handle: async () => {
        if (failures-- > 0) throw new Error("database unavailable");
      },
      deadLetters,
      logger,
      retry: { initialMs: 1, maxMs: 1 },
      hooks,
      logContext: (event) => ({ orderId: event.orderId, traceId: event.traceId }),
    });
    await subscription.start();
    await deliver(JSON.stringify({ type: "OrderConfirmed", orderId: "order-1", traceId: "t-1" }));

    expect(calls.map((call) => call.slice(0, 3))).toEqual([
      ["retried", "order-events", 1],
      ["handled", "order-events", "OrderConfirmed"],
    ]);
    expect(calls[0]?.[3]).toBe("OrderConfirmed");
    const retryLine = lines.find((line) => line.msg === "handling failed; retrying the same message");
    expect(retryLine).toMatchObject({ orderId: "order-1", traceId: "t-1", offset: "7", attempt: 1 });
  });

  it("passes the type of an impossible event to the dead-letter hook, and none for undecodable bytes", async () => {
    const { kafka, deliver } = fakeKafka();
    const { lines, logger } = recorder();
    const deadLettered: unknown[][] = [];
    const subscription = new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) => {
        if (value.toString() === "garbage") throw decodeError();
        return JSON.parse(value.toString()) as TestEvent;
      },
      handle: async () => {
        throw new InvalidEventError("UNKNOWN_ORDER", "no order order-2 exists");
      },
      deadLetters,
      logger,
      hooks: { deadLettered: (...args) => deadLettered.push(args) },
      logContext: (event) => ({ orderId: event.orderId, traceId: event.traceId }),
    });
    await subscription.start();
    await deliver(JSON.stringify({ type: "OrderCancelled", orderId: "order-2", traceId: "t-2" }));
    await deliver("garbage");

    expect(deadLettered).toEqual([
      ["order-events", "UNKNOWN_ORDER", "OrderCancelled"],
      ["order-events", "DECODE_UNKNOWN_SCHEMA", undefined],
    ]);
    const dead = lines.filter((line) => line.msg === "message dead-lettered");
    expect(dead[0]).toMatchObject({ orderId: "order-2", traceId: "t-2", reason: "UNKNOWN_ORDER" });
    expect(dead[1]).toMatchObject({ reason: "DECODE_UNKNOWN_SCHEMA" });
    expect(dead[1]).not.toHaveProperty("orderId");
  });
});

describe("Subscription batches", () => {
  const event = (orderId: string, type = "OrderConfirmed") => JSON.stringify({ type, orderId, traceId: "t" });

  function batchSubscription(
    kafka: Kafka,
    handlers: {
      handle?: (orderId: string) => Promise<void>;
      handleBatch?: (orderIds: string[]) => Promise<(InvalidEventError | undefined)[]>;
    },
    extra: { maxBatchSize?: number; decode?: (value: string) => TestEvent } = {},
  ) {
    const deadLettered: unknown[][] = [];
    const handled: string[] = [];
    const subscription = new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) =>
        extra.decode ? extra.decode(value.toString()) : (JSON.parse(value.toString()) as TestEvent),
      handle: async (message) => {
        await handlers.handle?.(message.event.orderId);
      },
      ...(handlers.handleBatch
        ? {
            handleBatch: async (messages) =>
              (await handlers.handleBatch?.(messages.map((m) => m.event.orderId))) ?? [],
          }
        : {}),
      ...(extra.maxBatchSize ? { maxBatchSize: extra.maxBatchSize } : {}),
      deadLetters,
      logger: recorder().logger,
      retry: { initialMs: 1, maxMs: 1 },
      decodeRetry: { initialMs: 1 },
      hooks: {
        deadLettered: (...args) => deadLettered.push(args),
        handled: (_topic, type) => handled.push(type),
      },
    });
    return { subscription, deadLettered, handled };
  }

  it("applies a run of messages in one call, in offset order, and marks the last offset of each run", async () => {
    const { kafka, deliverBatch, resolved } = fakeKafka();
    const calls: string[][] = [];
    const { subscription, handled } = batchSubscription(
      kafka,
      {
        handleBatch: async (ids) => {
          calls.push(ids);
          return ids.map(() => undefined);
        },
      },
      { maxBatchSize: 3 },
    );
    await subscription.start();
    await deliverBatch(["a", "b", "c", "d", "e"].map((id) => event(id)));

    expect(calls).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    expect(resolved).toEqual(["9", "11"]);
    expect(handled).toHaveLength(5);
  });

  it("dead-letters what the batch refused and what did not decode, and applies the rest", async () => {
    const { kafka, deliverBatch } = fakeKafka();
    const { subscription, deadLettered, handled } = batchSubscription(
      kafka,
      {
        handleBatch: async (ids) =>
          ids.map((id) =>
            id === "bad" ? new InvalidEventError("UNKNOWN_ORDER", "no such order") : undefined,
          ),
      },
      {
        decode: (value) => {
          if (value === "garbage") throw decodeError();
          return JSON.parse(value) as TestEvent;
        },
      },
    );
    await subscription.start();
    await deliverBatch([event("a"), "garbage", event("bad", "OrderCancelled"), event("b")]);

    expect(deadLettered).toEqual([
      ["order-events", "DECODE_UNKNOWN_SCHEMA", undefined],
      ["order-events", "UNKNOWN_ORDER", "OrderCancelled"],
    ]);
    expect(handled).toEqual(["OrderConfirmed", "OrderConfirmed"]);
  });

  it("after a failed batch, handles its messages one at a time so only the failing one is retried", async () => {
    const { kafka, deliverBatch, resolved } = fakeKafka();
    const singles: string[] = [];
    let poisonFailures = 2;
    const { subscription } = batchSubscription(kafka, {
      handleBatch: async () => {
        throw new Error("deadlock detected");
      },
      handle: async (id) => {
        singles.push(id);
        if (id === "b" && poisonFailures-- > 0) throw new Error("connection terminated");
      },
    });
    await subscription.start();
    await deliverBatch([event("a"), event("b"), event("c")]);

    expect(singles).toEqual(["a", "b", "b", "b", "c"]);
    expect(resolved).toEqual(["9"]);
  });

  it("tries an unknown schema id again for a bounded time before dead-lettering it", async () => {
    const { kafka, deliver } = fakeKafka();
    let lookups = 0;
    const unknownId = () =>
      Object.assign(new Error("no schema 42"), { name: "DecodeError", kind: "UNKNOWN_SCHEMA_ID" });
    const { subscription, deadLettered } = batchSubscription(
      kafka,
      {},
      {
        decode: (value) => {
          lookups++;
          if (value === "late" && lookups < 3) throw unknownId();
          if (value === "never") throw unknownId();
          return JSON.parse(event("a")) as TestEvent;
        },
      },
    );
    await subscription.start();
    await deliver("late");
    expect(lookups).toBe(3);
    expect(deadLettered).toEqual([]);

    lookups = 0;
    await deliver("never");
    expect(lookups).toBe(5);
    expect(deadLettered).toEqual([["order-events", "DECODE_UNKNOWN_SCHEMA_ID", undefined]]);
  });
});

describe("Subscription log lines per run", () => {
  const event = (orderId: string) =>
    JSON.stringify({ type: "OrderConfirmed", orderId, traceId: `t-${orderId}` });

  function loggedSubscription(kafka: Kafka, level: string) {
    const { lines, logger } = recorder(level);
    const contexts: string[] = [];
    const headers: Record<string, string>[] = [];
    const handledHook: string[] = [];
    const subscription = new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) => JSON.parse(value.toString()) as TestEvent,
      handleBatch: async (messages) => {
        headers.push(...messages.filter((m) => m.event.orderId === "b").map((m) => ({ ...m.headers })));
        return messages.map(() => undefined);
      },
      deadLetters,
      logger,
      hooks: { handled: (_topic, type) => handledHook.push(type) },
      logContext: (e) => {
        contexts.push(e.orderId);
        return { orderId: e.orderId, traceId: e.traceId };
      },
    });
    return { subscription, lines, contexts, headers, handledHook };
  }

  it("logs no line per event or run at info, and computes no event's log context", async () => {
    const { kafka, deliverBatch } = fakeKafka();
    const { subscription, lines, contexts, headers, handledHook } = loggedSubscription(kafka, "info");
    await subscription.start();
    await deliverBatch([event("a"), event("b"), event("c")]);

    expect(lines.filter((line) => String(line.msg).startsWith("handled"))).toEqual([]);
    expect(contexts).toEqual([]);
    expect(handledHook).toEqual(["OrderConfirmed", "OrderConfirmed", "OrderConfirmed"]);
    // Headers are decoded when a handler reads them, and only then.
    expect(headers).toEqual([{ traceparent: `00-${event("b").length}` }]);
  });

  it("logs a line per event, with its log context, and one per run, at debug", async () => {
    const { kafka, deliverBatch } = fakeKafka();
    const { subscription, lines } = loggedSubscription(kafka, "debug");
    await subscription.start();
    await deliverBatch([event("a"), event("b")]);

    const handled = lines.filter((line) => String(line.msg).startsWith("handled"));
    expect(handled.map((line) => line.msg)).toEqual([
      "handled OrderConfirmed",
      "handled OrderConfirmed",
      "handled events",
    ]);
    expect(handled[2]).toMatchObject({
      topic: "order-events",
      partition: 0,
      fromOffset: "7",
      toOffset: "8",
      events: 2,
    });
    expect(handled[1]).toMatchObject({ orderId: "b", traceId: "t-b", offset: "8", partition: 0 });
  });

  it("logs nothing per run at warn", async () => {
    const { kafka, deliverBatch } = fakeKafka();
    const { subscription, lines, contexts, handledHook } = loggedSubscription(kafka, "warn");
    await subscription.start();
    await deliverBatch([event("a"), event("b")]);
    expect(lines).toEqual([]);
    expect(contexts).toEqual([]);
    expect(handledHook).toHaveLength(2);
  });
});

describe("Subscription group membership", () => {
  it("joins with a short session, and heartbeats through a retry backoff longer than the session", async () => {
    const { kafka, deliver, configs, heartbeats } = fakeKafka();
    const { logger } = recorder();
    let failures = 1;
    const subscription = new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) => JSON.parse(value.toString()) as TestEvent,
      handle: async () => {
        if (failures-- > 0) throw new Error("database restarting");
      },
      deadLetters,
      logger,
      // The one backoff (400 ms) is longer than this test's session (150 ms).
      retry: { initialMs: 400, maxMs: 400 },
      session: { timeoutMs: 150, heartbeatIntervalMs: 50 },
    });
    await subscription.start();
    expect(configs[0]).toMatchObject({ sessionTimeout: 150, heartbeatInterval: 50, rebalanceTimeout: 300 });
    await deliver(JSON.stringify({ type: "OrderConfirmed", orderId: "order-1", traceId: "t-1" }));

    // One sleep of the whole backoff would heartbeat once in it (and once after the run); in
    // slices of the interval there are several.
    expect(heartbeats.length).toBeGreaterThanOrEqual(4);
  });

  it("defaults to a 6 s session with 1 s heartbeats and fetches that return within one", () => {
    const { kafka, configs } = fakeKafka();
    new Subscription<TestEvent>({
      kafka,
      groupId: "g",
      topics: ["order-events"],
      decode: (_topic, value) => JSON.parse(value.toString()) as TestEvent,
      handle: async () => undefined,
      deadLetters,
      logger: recorder().logger,
    });
    expect(configs[0]).toMatchObject({ sessionTimeout: 6_000, heartbeatInterval: 1_000 });
    expect(configs[0]?.maxWaitTimeInMs).toBeLessThanOrEqual(1_000);
  });
});
