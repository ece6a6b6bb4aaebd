import { randomUUID } from "node:crypto";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { RegistryClient } from "@stocksaga/contracts";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const brokers = inject("kafkaBrokers").split(",");
const registryUrl = inject("schemaRegistryUrl");

describe("the local stack, end to end", () => {
  const kafka = new Kafka({ clientId: "smoke-test", brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  const topic = `smoke-${randomUUID()}`;
  const subject = `${topic}-stocksaga.smoke.Ping`;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await new RegistryClient(registryUrl).deleteSubject(subject, { permanent: true }).catch(() => undefined);
    await admin.disconnect();
  });

  it("registers an Avro schema, produces an encoded record and reads back value and wire format", async () => {
    const registry = new SchemaRegistry({ host: registryUrl });
    const schema = {
      type: "record",
      name: "Ping",
      namespace: "stocksaga.smoke",
      fields: [
        { name: "id", type: "string" },
        { name: "count", type: "int" },
      ],
    };
    const { id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject },
    );
    console.log(`[smoke] registry ${registryUrl} returned schema id ${schemaId}`);

    const value = { id: randomUUID(), count: 42 };
    const encoded = await registry.encode(schemaId, value);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: value.id, value: encoded }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no record within 30 s")), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) {
            clearTimeout(timer);
            resolve(message.value);
          }
        },
      });
    });
    await consumer.disconnect();

    expect(received.readUInt8(0)).toBe(0);
    expect(received.readUInt32BE(1)).toBe(schemaId);
    expect(await registry.decode(received)).toEqual(value);
    console.log(
      `[smoke] broker ${brokers.join(",")} carried ${received.length} bytes: magic 0, schema id ${received.readUInt32BE(1)}`,
    );
  });
});
