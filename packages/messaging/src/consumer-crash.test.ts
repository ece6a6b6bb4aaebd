import { Writable } from "node:stream";
import type { Kafka, Producer } from "kafkajs";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { Subscription } from "./consumer.js";

const silent = pino(
  { level: "silent" },
  new Writable({ write: (_chunk, _encoding, callback) => callback() }),
);

/** A kafkajs consumer that records how often it was started and lets a test raise its events. */
function crashingKafka() {
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  const counts = { runs: 0, disconnects: 0 };
  const consumer = {
    events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop", DISCONNECT: "disconnect" },
    on: (name: string, listener: (event: { payload: unknown }) => void) => listeners.set(name, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => {
      counts.runs++;
    },
    disconnect: async () => {
      counts.disconnects++;
    },
  };
  const crash = (error: Error, restart: boolean) => listeners.get("crash")?.({ payload: { error, restart } });
  return { kafka: { consumer: () => consumer } as unknown as Kafka, counts, crash };
}

function subscription(kafka: Kafka, onFatal: (error: Error) => void) {
  return new Subscription<{ type: string }>({
    kafka,
    groupId: "g",
    topics: ["order-events"],
    decode: () => ({ type: "X" }),
    handle: async () => undefined,
    deadLetters: { producer: {} as Producer, topic: "dead-letters" },
    logger: silent,
    onFatal,
  });
}

/** kafkajs wraps what it gives up on; the cause says whose trouble it was. */
function gaveUpOn(cause: Error): Error {
  return Object.assign(new Error(`Failed: ${cause.message}`, { cause }), {
    name: "KafkaJSNonRetriableError",
  });
}

describe("a subscription whose consumer kafkajs gave up on", () => {
  it("joins again when the broker was the trouble (no group coordinator while it restarts)", async () => {
    const { kafka, counts, crash } = crashingKafka();
    const fatal = vi.fn();
    const running = subscription(kafka, fatal);
    await running.start();
    crash(
      gaveUpOn(
        Object.assign(new Error("Failed to find group coordinator"), {
          name: "KafkaJSGroupCoordinatorNotFound",
        }),
      ),
      false,
    );
    await vi.waitFor(() => expect(counts.runs).toBe(2), { timeout: 5_000 });
    expect(fatal).not.toHaveBeenCalled();
    await running.stop();
  });

  it("stops the process for an error of its own (a bug), so that a supervisor restarts it", async () => {
    const { kafka, counts, crash } = crashingKafka();
    const fatal = vi.fn();
    const running = subscription(kafka, fatal);
    await running.start();
    const bug = gaveUpOn(new TypeError("cannot read properties of undefined"));
    crash(bug, false);
    expect(fatal).toHaveBeenCalledWith(bug);
    expect(counts.runs).toBe(1);
    await running.stop();
  });
});
