import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import {
  DecodeError,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  EventCodec,
  RegistryClient,
  registerContracts,
  SchemaNotRegisteredError,
  schemaText,
  subjectFor,
} from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteSubjects, frame, registryUrl, uniqueNaming, withFields } from "./support.js";

const url = registryUrl();
const client = new RegistryClient(url);
const naming = uniqueNaming("codec");

async function decodeError(promise: Promise<unknown>): Promise<DecodeError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof DecodeError)) throw new Error(`expected a DecodeError, got ${String(outcome)}`);
  return outcome;
}

describe("EventCodec against the real registry", () => {
  let codec: EventCodec;

  beforeAll(async () => {
    await registerContracts(client, { naming });
    codec = await EventCodec.connect({ registryUrl: url, naming });
  });

  afterAll(async () => {
    await deleteSubjects(client, naming);
  });

  it("uses the ids the registry gave each subject", async () => {
    for (const eventType of EVENT_TYPES) {
      const registered = await client.lookup(
        subjectFor(eventType, naming),
        schemaText(EVENT_SCHEMAS[eventType].schema),
      );
      expect(codec.schemaIdOf(eventType), eventType).toBe(registered?.id);
    }
  });

  it.each(EVENT_TYPES)("round-trips %s", async (eventType) => {
    const event = SAMPLE_EVENTS[eventType];
    expect(await codec.decode(codec.topicFor(eventType), codec.encode(event))).toStrictEqual(event);
  });

  it("writes messages the kafkajs registry client reads", async () => {
    const registry = new SchemaRegistry({ host: url });
    const { type: _, ...payload } = SAMPLE_EVENTS.StockCommitted;
    expect(await registry.decode(codec.encode(SAMPLE_EVENTS.StockCommitted))).toEqual(payload);
  });

  describe("across versions (v2 adds an optional field)", () => {
    const v2 = withFields(EVENT_SCHEMAS.OrderRequested.schema, (fields) => [
      ...fields,
      {
        name: "giftMessage",
        type: ["null", "string"],
        default: null,
        doc: "Message printed on the gift card.",
      },
    ]);
    const v1Fields = EVENT_SCHEMAS.OrderRequested.schema.fields.map(
      (field) => (field as { name: string }).name,
    );
    let v2Id: number;

    beforeAll(async () => {
      v2Id = await client.register(subjectFor("OrderRequested", naming), schemaText(v2));
    });

    it("registers v2 as a new version of the subject", async () => {
      expect(v2Id).not.toBe(codec.schemaIdOf("OrderRequested"));
      expect(await client.versions(subjectFor("OrderRequested", naming))).toEqual([1, 2]);
    });

    it("decodes a v2 event with this build's v1 reader, field by field", async () => {
      const { type: _, ...v1Payload } = SAMPLE_EVENTS.OrderRequested;
      const v2Event = { ...v1Payload, giftMessage: "Happy birthday" };
      const v2Message = await new SchemaRegistry({ host: url }).encode(v2Id, v2Event);
      expect(v2Message.readInt32BE(1)).toBe(v2Id);

      const decoded = await codec.decode(codec.topicFor("OrderRequested"), v2Message);
      expect(decoded.type).toBe("OrderRequested");
      for (const field of v1Fields) {
        expect((decoded as unknown as Record<string, unknown>)[field], field).toStrictEqual(
          (v2Event as Record<string, unknown>)[field],
        );
      }
      expect(decoded).not.toHaveProperty("giftMessage");
    });

    it("decodes a v1 event with a v2 reader, field by field, the new field at its default", async () => {
      const v1Message = codec.encode(SAMPLE_EVENTS.OrderRequested);
      const decoded = (await new SchemaRegistry({ host: url }).decode(v1Message, {
        [SchemaType.AVRO]: { readerSchema: v2 as never },
      })) as Record<string, unknown>;
      const v1Event = SAMPLE_EVENTS.OrderRequested as unknown as Record<string, unknown>;
      for (const field of v1Fields) {
        // avsc builds nested records as class instances, so compare values, not prototypes.
        expect(decoded[field], field).toEqual(v1Event[field]);
      }
      expect(decoded.giftMessage).toBeNull();
    });
  });

  describe("typed decode errors naming the problem", () => {
    it("an unknown schema id", async () => {
      const unknownId = 2_000_000_000;
      const error = await decodeError(
        codec.decode(codec.topicFor("OrderConfirmed"), frame(unknownId, Buffer.from([0]))),
      );
      expect(error.kind).toBe("UNKNOWN_SCHEMA_ID");
      expect(error.schemaId).toBe(unknownId);
      expect(error.message).toContain(`no schema with id ${unknownId}`);
    });

    it("a wrong magic byte", async () => {
      const message = codec.encode(SAMPLE_EVENTS.OrderConfirmed);
      message[0] = 1;
      const error = await decodeError(codec.decode(codec.topicFor("OrderConfirmed"), message));
      expect(error.kind).toBe("WRONG_MAGIC_BYTE");
      expect(error.message).toContain("the first byte is 0x01, expected 0x00");
    });

    it("a truncated payload", async () => {
      const message = codec.encode(SAMPLE_EVENTS.StockReleased);
      const topic = codec.topicFor("StockReleased");
      const error = await decodeError(codec.decode(topic, message.subarray(0, message.length - 6)));
      expect(error.kind).toBe("TRUNCATED");
      expect(error.message).toContain("the Avro body ends too early");
      expect(error.recordName).toBe("stocksaga.inventory.StockReleased");
      expect((await decodeError(codec.decode(topic, message.subarray(0, 4)))).kind).toBe("TRUNCATED");
    });

    it("a payload of a record type the topic does not carry", async () => {
      const stockEvent = codec.encode(SAMPLE_EVENTS.ProductOutOfStock);
      const topic = codec.topicFor("OrderRequested");
      const error = await decodeError(codec.decode(topic, stockEvent));
      expect(error.kind).toBe("UNEXPECTED_RECORD_TYPE");
      expect(error.recordName).toBe("stocksaga.inventory.ProductOutOfStock");
      expect(error.message).toContain(`ProductOutOfStock record is not expected on topic ${topic}`);
    });
  });

  it("refuses to connect against a registry lacking a schema, naming the subject", async () => {
    const partial = uniqueNaming("codec-partial");
    try {
      await registerContracts(client, { naming: partial, events: ["OrderRequested", "OrderConfirmed"] });
      const error = await EventCodec.connect({
        registryUrl: url,
        naming: partial,
        events: ["OrderRequested", "OrderConfirmed", "StockReserved"],
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaNotRegisteredError);
      const missing = subjectFor("StockReserved", partial);
      expect((error as SchemaNotRegisteredError).subjects).toEqual([missing]);
      expect((error as Error).message).toContain(missing);
    } finally {
      await deleteSubjects(client, partial);
    }
  });
});
