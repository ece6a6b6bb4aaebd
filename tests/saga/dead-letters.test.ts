import { randomUUID } from "node:crypto";
import type { DeadLetterView } from "@stocksaga/messaging";
import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually } from "../support/api.js";
import { readTopic, testKafka, topicEnds } from "../support/kafka.js";
import { TestSystem } from "../support/system.js";

/** Bytes that are not the Confluent wire format (the first byte is not 0). */
const NOT_WIRE_FORMAT = Buffer.from("this is not avro {\u00ff}", "latin1");
/** Confluent-framed, but with a schema id the registry never gave out. */
const UNKNOWN_SCHEMA_ID = Buffer.from([0x00, 0x7f, 0xff, 0xff, 0xf0, 0x02, 0x04]);

describe("dead letters: list, show, replay", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("dead-letter-admin", { admin: true });
    kafka = testKafka();
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await system?.stop();
  });

  const list = async (service: "order" | "inventory") => {
    const reply = await admin.request<{ items: DeadLetterView[] }>(
      service,
      "GET",
      "/admin/dead-letters?limit=200",
    );
    expect(reply.status).toBe(200);
    return reply.body.items;
  };
  const letterWithKey = (service: "order" | "inventory", key: string) =>
    eventually(`a dead letter with key ${key} in the ${service} service`, async () =>
      (await list(service)).find((letter) => letter.key === key),
    );

  it("shows a poison message with reason, origin and hex payload, and replays it once unless forced", async () => {
    const key = `poison-${randomUUID()}`;
    const [sent] = await producer.send({
      topic: "order-events",
      acks: -1,
      messages: [{ key, value: NOT_WIRE_FORMAT, headers: { "event-type": "OrderRequested", note: "kept" } }],
    });
    const letter = await letterWithKey("inventory", key);
    expect(letter).toMatchObject({
      reason: expect.stringMatching(/\S/),
      origin: { topic: "order-events", partition: sent?.partition, consumerGroup: "inventory-service" },
      payload: { decoded: false, hex: NOT_WIRE_FORMAT.toString("hex") },
      replays: [],
    });
    expect(letter.origin.offset).toBe(Number(sent?.baseOffset));
    expect(letter.payload.decoded === false && letter.payload.error).toContain("WRONG_MAGIC_BYTE");
    expect(letter.id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(Date.parse(letter.failedAt)).not.toBeNaN();
    // Not a letter of the order service's group.
    expect((await list("order")).some((other) => other.key === key)).toBe(false);

    const shown = await admin.request<DeadLetterView>("inventory", "GET", `/admin/dead-letters/${letter.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.id).toBe(letter.id);

    const before = await topicEnds(kafka, "order-events");
    const replayed = await admin.request<{ letter: DeadLetterView }>(
      "inventory",
      "POST",
      `/admin/dead-letters/${letter.id}/replay`,
    );
    expect(replayed.status).toBe(202);
    expect(replayed.body.letter.replays).toEqual([
      { at: expect.any(String), by: "dead-letter-admin", forced: false },
    ]);
    const origin = `order-events/${letter.origin.partition}/${letter.origin.offset}`;
    const copies = (await readTopic(kafka, "order-events", before)).filter(
      (record) => record.message.headers?.["dlt-replay-of"]?.toString() === origin,
    );
    expect(copies).toHaveLength(1);
    const copy = copies[0]?.message;
    expect(copy?.key?.toString()).toBe(key);
    expect(copy?.value?.equals(NOT_WIRE_FORMAT)).toBe(true);
    expect(copy?.headers?.note?.toString()).toBe("kept");
    expect(
      Object.keys(copy?.headers ?? {}).filter((name) => name.startsWith("dlt-") && name !== "dlt-replay-of"),
    ).toEqual([]);

    const again = await admin.request<{ type: string }>(
      "inventory",
      "POST",
      `/admin/dead-letters/${letter.id}/replay`,
    );
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/already-replayed$/);

    const forced = await admin.request<{ letter: DeadLetterView }>(
      "inventory",
      "POST",
      `/admin/dead-letters/${letter.id}/replay`,
      { force: true },
    );
    expect(forced.status).toBe(202);
    expect(forced.body.letter.replays.map((replay) => replay.forced)).toEqual([false, true]);
  });

  it("keeps the order service's letters apart, and lets one of two racing replays through", async () => {
    const key = randomUUID();
    await producer.send({
      topic: "reservation-events",
      acks: -1,
      messages: [{ key, value: UNKNOWN_SCHEMA_ID }],
    });
    const letter = await letterWithKey("order", key);
    expect(letter.origin).toMatchObject({ topic: "reservation-events", consumerGroup: "order-service" });
    expect(letter.payload).toMatchObject({ decoded: false, hex: UNKNOWN_SCHEMA_ID.toString("hex") });

    const race = await Promise.all(
      [1, 2].map(() => admin.request("order", "POST", `/admin/dead-letters/${letter.id}/replay`)),
    );
    expect(race.map((reply) => reply.status).sort()).toEqual([202, 409]);
    const after = await admin.request<DeadLetterView>("order", "GET", `/admin/dead-letters/${letter.id}`);
    expect(after.body.replays).toHaveLength(1);
  });

  it("answers 404 for an unknown letter and 403 for a customer", async () => {
    expect((await admin.request("order", "GET", "/admin/dead-letters/dead-letters-0-999999999")).status).toBe(
      404,
    );
    expect((await admin.request("order", "POST", "/admin/dead-letters/nope/replay")).status).toBe(404);
    const customer = system.client(`c-${randomUUID()}`);
    expect((await customer.request("inventory", "GET", "/admin/dead-letters")).status).toBe(403);
  });
});
