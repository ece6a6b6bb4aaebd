import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import avro from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventCodec } from "./codec.js";
import { DecodeError, type DecodeErrorKind, EncodeError, SchemaNotRegisteredError } from "./errors.js";
import type { AvroRecordSchema } from "./event-schema.js";
import { EVENT_SCHEMAS } from "./events/schemas.js";
import { EVENT_TYPES, type IntegrationEvent, type OrderRequested } from "./events/types.js";
import { SAMPLE_EVENTS } from "./fixtures.js";
import { RegistryUnavailableError } from "./registry.js";
import { subjectFor } from "./topics.js";

/**
 * Just enough of the registry API for the codec: lookup by subject and schema, and schema by id.
 * The behaviour of the real registry is covered in tests/contracts.
 */
class FakeRegistry {
  readonly #subjects = new Map<string, { id: number; text: string }>();
  readonly #schemas = new Map<number, { schema: string; schemaType?: string }>();
  readonly #server: Server;
  #nextId = 100;
  url = "";

  constructor() {
    this.#server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        const [status, answer] = this.#answer(
          request.method ?? "GET",
          decodeURIComponent(request.url ?? ""),
          body,
        );
        response.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
        response.end(JSON.stringify(answer));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/apis/ccompat/v7`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Stores a schema under an id, as if some producer had registered it. */
  addSchema(schema: unknown, schemaType?: string): number {
    const id = this.#nextId++;
    this.#schemas.set(id, {
      schema: typeof schema === "string" ? schema : JSON.stringify(schema),
      schemaType,
    });
    return id;
  }

  register(subject: string, schema: AvroRecordSchema): number {
    const id = this.addSchema(schema);
    this.#subjects.set(subject, { id, text: JSON.stringify(schema) });
    return id;
  }

  #answer(method: string, url: string, body: string): [number, unknown] {
    const path = url.replace(/^\/apis\/ccompat\/v7/, "");
    const byId = /^\/schemas\/ids\/(-?\d+)$/.exec(path);
    if (method === "GET" && byId) {
      const found = this.#schemas.get(Number(byId[1]));
      return found ? [200, found] : [404, { error_code: 40403, message: `Schema ${byId[1]} not found.` }];
    }
    const lookup = /^\/subjects\/([^/]+)$/.exec(path);
    if (method === "POST" && lookup?.[1] !== undefined) {
      const subject = lookup[1];
      const stored = this.#subjects.get(subject);
      const asked = JSON.stringify(JSON.parse((JSON.parse(body) as { schema: string }).schema));
      if (stored === undefined)
        return [404, { error_code: 40401, message: `Subject '${subject}' not found.` }];
      if (stored.text !== asked) return [404, { error_code: 40403, message: "Schema not found" }];
      return [200, { subject, id: stored.id, version: 1, schema: stored.text }];
    }
    return [404, { error_code: 404, message: `no route ${method} ${path}` }];
  }
}

function withField(schema: AvroRecordSchema, field: object): AvroRecordSchema {
  return { ...schema, fields: [...schema.fields, field as never] };
}

function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

async function decodeError(promise: Promise<unknown>): Promise<DecodeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DecodeError)) throw new Error(`expected a DecodeError, got ${String(error)}`);
  return error;
}

describe("EventCodec (against an in-process fake registry)", () => {
  let registry: FakeRegistry;
  let codec: EventCodec;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
    for (const eventType of EVENT_TYPES)
      registry.register(subjectFor(eventType), EVENT_SCHEMAS[eventType].schema);
    codec = await EventCodec.connect({ registryUrl: registry.url });
  });

  afterAll(async () => {
    await registry.stop();
  });

  it.each(EVENT_TYPES)("encodes and decodes %s unchanged", async (eventType) => {
    const event = SAMPLE_EVENTS[eventType];
    const decoded = await codec.decode(codec.topicFor(eventType), codec.encode(event));
    expect(decoded).toStrictEqual(event);
  });

  it("writes the Confluent wire format: magic byte 0, then the schema id big-endian", () => {
    const value = codec.encode(SAMPLE_EVENTS.OrderConfirmed);
    expect(value[0]).toBe(0);
    expect(value.readInt32BE(1)).toBe(codec.schemaIdOf("OrderConfirmed"));
  });

  it("gives producers topic, key and value in one call", () => {
    const message = codec.toMessage(SAMPLE_EVENTS.StockAdjusted);
    expect(message.topic).toBe("stock-events");
    expect(message.key).toBe("SKU-RED-MUG");
    expect(message.value.readInt32BE(1)).toBe(codec.schemaIdOf("StockAdjusted"));
  });

  it("refuses to connect when a subject lacks this build's schema, naming it", async () => {
    const partial = await new FakeRegistry().start();
    try {
      partial.register(subjectFor("OrderRequested"), EVENT_SCHEMAS.OrderRequested.schema);
      partial.register(
        subjectFor("OrderConfirmed"),
        withField(EVENT_SCHEMAS.OrderConfirmed.schema, {
          name: "x",
          type: ["null", "string"],
          default: null,
        }),
      );
      const error = await EventCodec.connect({
        registryUrl: partial.url,
        events: ["OrderRequested", "OrderConfirmed", "StockReserved"],
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SchemaNotRegisteredError);
      expect((error as SchemaNotRegisteredError).subjects).toEqual([
        "order-events-stocksaga.order.OrderConfirmed",
        "reservation-events-stocksaga.inventory.StockReserved",
      ]);
      expect((error as Error).message).toContain("order-events-stocksaga.order.OrderConfirmed");
    } finally {
      await partial.stop();
    }
  });

  it("reports an unreachable registry at connect as retryable, not as a missing schema", async () => {
    const unreachable = await new FakeRegistry().start();
    await unreachable.stop();
    await expect(EventCodec.connect({ registryUrl: unreachable.url })).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });

  it("reports a registry gone while fetching a writer schema as retryable, not as a bad message", async () => {
    const flaky = await new FakeRegistry().start();
    flaky.register(subjectFor("OrderConfirmed"), EVENT_SCHEMAS.OrderConfirmed.schema);
    const flakyCodec = await EventCodec.connect({ registryUrl: flaky.url, events: ["OrderConfirmed"] });
    const message = flakyCodec.encode(SAMPLE_EVENTS.OrderConfirmed);
    await flaky.stop();
    await expect(flakyCodec.decode("order-events", message)).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  describe("encode", () => {
    it("names every invalid field", () => {
      const invalid = {
        ...SAMPLE_EVENTS.OrderRequested,
        orderId: "not-a-uuid",
        fulfilment: "SOMETIMES",
        lines: [{ sku: "A", quantity: 1.5 }],
      } as unknown as OrderRequested;
      const error = (() => {
        try {
          codec.encode(invalid);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).problems.map((problem) => problem.path)).toEqual([
        "orderId",
        "fulfilment",
        "lines[0].quantity",
      ]);
      expect((error as Error).message).toContain('orderId: "not-a-uuid" is not a UUID string');
      expect((error as Error).message).toContain("fulfilment");
    });

    it("names a missing metadata field", () => {
      const { producer: _, ...metadata } = SAMPLE_EVENTS.OrderConfirmed.metadata;
      const missing = { ...SAMPLE_EVENTS.OrderConfirmed, metadata } as unknown as IntegrationEvent;
      expect(() => codec.encode(missing)).toThrow(/metadata\.producer: undefined \(missing\)/);
    });

    it("writes the default of an optional field left out (avsc fills defaults)", async () => {
      const { traceparent: _, ...metadata } = SAMPLE_EVENTS.OrderConfirmed.metadata;
      const withoutTrace = { ...SAMPLE_EVENTS.OrderConfirmed, metadata } as unknown as IntegrationEvent;
      const decoded = await codec.decode("order-events", codec.encode(withoutTrace));
      expect(decoded.metadata.traceparent).toBeNull();
    });

    it("refuses an event type the codec was not connected for", async () => {
      const narrow = await EventCodec.connect({ registryUrl: registry.url, events: ["OrderRequested"] });
      expect(() => narrow.encode(SAMPLE_EVENTS.StockReserved)).toThrow(EncodeError);
      expect(() => narrow.encode(SAMPLE_EVENTS.StockReserved)).toThrow(/not StockReserved/);
    });
  });

  describe("decode errors are typed and name the problem", () => {
    const cases: [string, () => Buffer | null, DecodeErrorKind, RegExp][] = [
      ["a null value (tombstone)", () => null, "TRUNCATED", /empty/],
      [
        "JSON instead of Avro",
        () => Buffer.from('{"orderId":"x"}'),
        "WRONG_MAGIC_BYTE",
        /0x7b, expected 0x00/,
      ],
      [
        "a header cut short",
        () => Buffer.from([0, 0, 0]),
        "TRUNCATED",
        /3 bytes, fewer than the 5-byte header/,
      ],
      [
        "a body cut short",
        () => codec.encode(SAMPLE_EVENTS.OrderRequested).subarray(0, 30),
        "TRUNCATED",
        /Avro body ends too early/,
      ],
      [
        "trailing bytes",
        () => Buffer.concat([codec.encode(SAMPLE_EVENTS.OrderRequested), Buffer.from([1, 2])]),
        "INVALID_PAYLOAD",
        /trailing data/,
      ],
      [
        "an unknown schema id",
        () => frame(987_654, Buffer.from([0])),
        "UNKNOWN_SCHEMA_ID",
        /no schema with id 987654/,
      ],
    ];

    it.each(cases)("%s", async (_, message, kind, problem) => {
      const error = await decodeError(codec.decode("order-events", message()));
      expect(error.kind).toBe(kind);
      expect(error.message).toMatch(problem);
      expect(error.topic).toBe("order-events");
    });

    it("a valid record of a type not carried by the topic", async () => {
      const error = await decodeError(
        codec.decode("order-events", codec.encode(SAMPLE_EVENTS.StockAdjusted)),
      );
      expect(error.kind).toBe("UNEXPECTED_RECORD_TYPE");
      expect(error.recordName).toBe("stocksaga.inventory.StockAdjusted");
      expect(error.message).toContain("StockAdjusted record is not expected on topic order-events");
    });

    it("a record this build does not know", async () => {
      const id = registry.addSchema({ type: "record", name: "Stranger", namespace: "elsewhere", fields: [] });
      const error = await decodeError(codec.decode("order-events", frame(id, Buffer.alloc(0))));
      expect(error.kind).toBe("UNEXPECTED_RECORD_TYPE");
      expect(error.message).toContain("record elsewhere.Stranger is not an event this build knows");
    });

    it("a schema id naming a non-record schema", async () => {
      const id = registry.addSchema(JSON.stringify("string"));
      const error = await decodeError(codec.decode("order-events", frame(id, Buffer.from([0]))));
      expect(error.kind).toBe("UNEXPECTED_RECORD_TYPE");
      expect(error.message).toContain("is a string, not a record");
    });

    it("a schema id naming a JSON Schema", async () => {
      const id = registry.addSchema({ type: "object" }, "JSON");
      const error = await decodeError(codec.decode("order-events", frame(id, Buffer.from("{}"))));
      expect(error.kind).toBe("NOT_AVRO");
    });

    it("a writer schema this build cannot resolve", async () => {
      const schema = EVENT_SCHEMAS.OrderCancelled.schema;
      const id = registry.addSchema(
        replaceField(schema, "cancelledBy", (field) => ({ ...field, type: "int" })),
      );
      const error = await decodeError(codec.decode("order-events", frame(id, Buffer.from([0]))));
      expect(error.kind).toBe("INCOMPATIBLE_SCHEMA");
      expect(error.message).toContain("OrderCancelled");
    });

    it("an invalid value inside well-formed Avro", async () => {
      const plain = avro.Type.forSchema(EVENT_SCHEMAS.OrderCancelled.schema as unknown as avro.Schema);
      const body = plain.toBuffer({ ...SAMPLE_EVENTS.OrderCancelled, orderId: "not-a-uuid" });
      const error = await decodeError(
        codec.decode("order-events", frame(codec.schemaIdOf("OrderCancelled"), body)),
      );
      expect(error.kind).toBe("INVALID_PAYLOAD");
      expect(error.message).toContain('orderId: "not-a-uuid" is not a UUID string');
    });

    it("an array announcing more items than bytes left, without allocating them", async () => {
      const empty = codec.encode({ ...SAMPLE_EVENTS.OrderConfirmed, lines: [] });
      const hostile = Buffer.concat([
        empty.subarray(0, empty.length - 1),
        Buffer.from([0x80, 0xc2, 0xd7, 0x2f]),
      ]);
      const error = await decodeError(codec.decode("order-events", hostile));
      expect(error.kind).toBe("TRUNCATED");
      expect(error.message).toMatch(/announces 50000000 items but only 0 bytes are left/);
    });

    it("a negative array block size, without looping", async () => {
      const empty = codec.encode({ ...SAMPLE_EVENTS.OrderConfirmed, lines: [] });
      const hostile = Buffer.concat([empty.subarray(0, empty.length - 1), Buffer.from([0x01, 0x03, 0x00])]);
      const error = await decodeError(codec.decode("order-events", hostile));
      expect(error.kind).toBe("INVALID_PAYLOAD");
      expect(error.message).toContain("negative size");
    });

    it("never anything but a DecodeError for corrupted bytes", async () => {
      const valid = codec.encode(SAMPLE_EVENTS.StockReleased);
      let seed = 7;
      const random = (): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (let attempt = 0; attempt < 2_000; attempt++) {
        const corrupted = Buffer.from(valid);
        for (let flips = 0; flips < 3; flips++) {
          corrupted[5 + Math.floor(random() * (corrupted.length - 5))] = Math.floor(random() * 256);
        }
        await codec.decode("reservation-events", corrupted).catch((error: unknown) => {
          expect(error).toBeInstanceOf(DecodeError);
        });
      }
    });
  });

  describe("schema resolution", () => {
    it("reads an event written with a newer schema (an optional field added)", async () => {
      const v2 = withField(EVENT_SCHEMAS.OrderRejected.schema, {
        name: "retryable",
        type: ["null", "boolean"],
        default: null,
        doc: "Whether the customer may retry.",
      });
      const id = registry.addSchema(v2);
      const body = avro.Type.forSchema(v2 as unknown as avro.Schema).toBuffer({
        ...SAMPLE_EVENTS.OrderRejected,
        retryable: true,
      });
      expect(await codec.decode("order-events", frame(id, body))).toStrictEqual(SAMPLE_EVENTS.OrderRejected);
    });

    it("reads a symbol it does not know as the enum default", async () => {
      const schema = EVENT_SCHEMAS.OrderRejected.schema;
      const v2 = replaceField(schema, "reason", (field) => {
        const reasons = field.type as { symbols: string[] };
        return { ...field, type: { ...reasons, symbols: [...reasons.symbols, "FRAUD_SUSPECTED"] } };
      });
      const id = registry.addSchema(v2);
      const body = avro.Type.forSchema(v2 as unknown as avro.Schema).toBuffer({
        ...SAMPLE_EVENTS.OrderRejected,
        reason: "FRAUD_SUSPECTED",
      });
      const decoded = await codec.decode("order-events", frame(id, body));
      expect(decoded).toStrictEqual({ ...SAMPLE_EVENTS.OrderRejected, reason: "UNSPECIFIED" });
    });
  });
});

type FieldJson = { readonly name: string; readonly type: unknown };

function replaceField(
  schema: AvroRecordSchema,
  name: string,
  change: (field: FieldJson) => FieldJson,
): AvroRecordSchema {
  const fields = (schema.fields as unknown as FieldJson[]).map((field) =>
    field.name === name ? change(field) : field,
  );
  return { ...schema, fields: fields as unknown as AvroRecordSchema["fields"] };
}
