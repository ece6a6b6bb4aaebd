import { Writable } from "node:stream";
import type { EachMessagePayload, Kafka, Producer } from "kafkajs";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Subscription, type SubscriptionHooks } from "./consumer.js";
import { InvalidEventError } from "./errors.js";

type TestEvent = { type: string; orderId: string; traceId: string };

/** A kafkajs consumer reduced to what Subscription uses; `deliver` plays one message through it. */
function fakeKafka() {
  let eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop", DISCONNECT: "disconnect" },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (options: { eachMessage: typeof eachMessage }) => {
      eachMessage = options.eachMessage;
    },
    disconnect: async () => undefined,
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const deliver = async (value: string) => {
    if (!eachMessage) throw new Error("not running");
    await eachMessage({
      topic: "order-events",
      partition: 0,
      message: { key: Buffer.from("order-1"), value: Buffer.from(value), offset: "7", headers: {} },
      heartbeat: async () => undefined,
    } as unknown as EachMessagePayload);
  };
  return { kafka, deliver };
}

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
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
