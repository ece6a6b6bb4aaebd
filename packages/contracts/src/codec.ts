import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import { avroTypeOf, findValueProblems, GUARDED_TYPE_OPTIONS, TRUNCATED_BUFFER } from "./avro.js";
import { DecodeError, type DecodeErrorKind, EncodeError, SchemaNotRegisteredError } from "./errors.js";
import { EVENT_SCHEMAS } from "./events/schemas.js";
import { EVENT_TYPES, type EventType, type IntegrationEvent } from "./events/types.js";
import { RegistryClient, RegistryUnavailableError } from "./registry.js";
import {
  eventTypesOn,
  keyFor,
  SAGA_TOPICS,
  subjectFor,
  type TopicNaming,
  topicFor,
  topicName,
} from "./topics.js";

/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian integer, then Avro binary. */
const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;

export interface EventCodecOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  readonly registryUrl: string;
  /** The event types this service produces or consumes; every event when omitted. */
  readonly events?: readonly EventType[];
  /** Topic prefix shared by topics and subjects (tests and environments sharing a cluster). */
  readonly naming?: TopicNaming;
}

/** A Kafka message ready for a producer: topic, key and Confluent-framed Avro value. */
export interface EncodedMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
}

interface Writer {
  readonly schemaId: number;
  readonly type: avro.Type;
}

/** How to read messages written with one schema id: as which event, through which resolver. */
interface Reading {
  readonly eventType: EventType;
  readonly recordName: string;
  readonly resolver: avro.Resolver | undefined;
}

/**
 * Encodes and decodes integration events against the schema registry. Build it once at start-up with
 * `EventCodec.connect`, which refuses to start when the registry lacks the schemas this build was made
 * with; after that, encoding never calls the registry and decoding calls it once per unseen schema id.
 */
export class EventCodec {
  readonly registryUrl: string;
  readonly events: readonly EventType[];
  readonly naming: TopicNaming;
  readonly #readerTypes: ReadonlyMap<EventType, avro.Type>;
  readonly #writers: ReadonlyMap<EventType, Writer>;
  readonly #registry: SchemaRegistry;
  readonly #readings = new Map<number, Promise<Reading>>();

  private constructor(
    options: Required<EventCodecOptions>,
    readerTypes: ReadonlyMap<EventType, avro.Type>,
    writers: ReadonlyMap<EventType, Writer>,
  ) {
    this.registryUrl = options.registryUrl;
    this.events = options.events;
    this.naming = options.naming;
    this.#readerTypes = readerTypes;
    this.#writers = writers;
    // Writer types skip fields this build does not know, so they need the same bounded reading.
    this.#registry = new SchemaRegistry(
      { host: options.registryUrl },
      { [SchemaType.AVRO]: GUARDED_TYPE_OPTIONS },
    );
  }

  /**
   * Looks up, per subject, the id of the exact schema this build was made with.
   * @throws SchemaNotRegisteredError naming every subject lacking it.
   * @throws RegistryUnavailableError when the registry cannot be reached.
   */
  static async connect(options: EventCodecOptions): Promise<EventCodec> {
    const resolved: Required<EventCodecOptions> = {
      registryUrl: options.registryUrl,
      events: [...new Set(options.events ?? EVENT_TYPES)],
      naming: options.naming ?? {},
    };
    const client = new RegistryClient(resolved.registryUrl);
    const readerTypes = new Map<EventType, avro.Type>();
    const lookups = await Promise.all(
      resolved.events.map(async (eventType) => {
        const { schema } = EVENT_SCHEMAS[eventType];
        readerTypes.set(eventType, avroTypeOf(schema));
        const subject = subjectFor(eventType, resolved.naming);
        const registered = await client.lookup(subject, JSON.stringify(schema));
        return { eventType, subject, registered };
      }),
    );
    const missing = lookups
      .filter((lookup) => lookup.registered === undefined)
      .map((lookup) => lookup.subject);
    if (missing.length > 0) throw new SchemaNotRegisteredError(missing, resolved.registryUrl);

    const writers = new Map<EventType, Writer>();
    for (const { eventType, registered } of lookups) {
      const type = readerTypes.get(eventType);
      if (registered !== undefined && type !== undefined)
        writers.set(eventType, { schemaId: registered.id, type });
    }
    return new EventCodec(resolved, readerTypes, writers);
  }

  /** The registry id of the schema this codec writes `eventType` with. */
  schemaIdOf(eventType: EventType): number {
    return this.#writerOf(eventType).schemaId;
  }

  topicFor(eventType: EventType): string {
    return topicFor(eventType, this.naming);
  }

  /**
   * Validates and encodes an event in the Confluent wire format. No registry round trip.
   * @throws EncodeError naming every invalid field, or when the codec was not connected for the event type.
   */
  encode(event: IntegrationEvent): Buffer {
    const writer = this.#writerOf(event.type);
    const problems = findValueProblems(writer.type, event);
    if (problems.length > 0) throw new EncodeError(event.type, problems);
    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeInt32BE(writer.schemaId, 1);
    return Buffer.concat([header, writer.type.toBuffer(event)]);
  }

  /** Encodes an event with the topic and key the topic map gives it. */
  toMessage(event: IntegrationEvent): EncodedMessage {
    return { topic: this.topicFor(event.type), key: keyFor(event), value: this.encode(event) };
  }

  /**
   * Decodes a message from `topic`: finds the writer's schema by the id in the message (fetched once,
   * then cached), picks this build's reader schema of the same record, and resolves one against the other.
   * @throws DecodeError for anything wrong with the message itself; see DecodeErrorKind.
   * @throws RegistryUnavailableError when the writer's schema cannot be fetched right now (retry later).
   */
  async decode(topic: string, message: Buffer | null | undefined): Promise<IntegrationEvent> {
    if (message === null || message === undefined || message.length === 0) {
      throw new DecodeError("TRUNCATED", "the message is empty (a tombstone or a null value)", { topic });
    }
    if (message[0] !== MAGIC_BYTE) {
      throw new DecodeError(
        "WRONG_MAGIC_BYTE",
        `the first byte is 0x${message[0]?.toString(16).padStart(2, "0")}, expected 0x00: not Avro in the Confluent wire format`,
        { topic },
      );
    }
    if (message.length < HEADER_LENGTH) {
      throw new DecodeError(
        "TRUNCATED",
        `the message has ${message.length} bytes, fewer than the ${HEADER_LENGTH}-byte header`,
        { topic },
      );
    }
    const schemaId = message.readInt32BE(1);
    const reading = await this.#readingFor(topic, schemaId);
    const readerType = this.#readerTypes.get(reading.eventType);
    if (readerType === undefined) throw new Error(`no reader type for ${reading.eventType}`);

    const details = { topic, schemaId, recordName: reading.recordName };
    let value: unknown;
    try {
      value = readerType.fromBuffer(message.subarray(HEADER_LENGTH), reading.resolver);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason.startsWith(TRUNCATED_BUFFER)) {
        const detail = reason.slice(TRUNCATED_BUFFER.length).replace(/^: /, "") || "the record is incomplete";
        throw new DecodeError("TRUNCATED", `the Avro body ends too early: ${detail}`, {
          ...details,
          cause: error,
        });
      }
      throw new DecodeError("INVALID_PAYLOAD", `the Avro body is malformed: ${reason}`, {
        ...details,
        cause: error,
      });
    }
    const problems = findValueProblems(readerType, value);
    if (problems.length > 0) {
      throw new DecodeError("INVALID_PAYLOAD", new EncodeError(reading.eventType, problems).message, details);
    }
    // Validated against the reader schema the type was generated from: trusted from here on.
    return { type: reading.eventType, ...(toPlainData(value) as object) } as IntegrationEvent;
  }

  #writerOf(eventType: EventType): Writer {
    const writer = this.#writers.get(eventType);
    if (writer === undefined) {
      throw new EncodeError(
        eventType,
        [],
        `this codec was connected for ${this.events.join(", ")}, not ${String(eventType)}`,
      );
    }
    return writer;
  }

  async #readingFor(topic: string, schemaId: number): Promise<Reading> {
    let pending = this.#readings.get(schemaId);
    if (pending === undefined) {
      pending = this.#prepareReading(schemaId);
      this.#readings.set(schemaId, pending);
      // Failures are not cached: the registry may be back, or the id registered, next time.
      pending.catch(() => this.#readings.delete(schemaId));
    }
    let reading: Reading;
    try {
      reading = await pending;
    } catch (error) {
      if (error instanceof ReadingFailure) {
        throw new DecodeError(error.kind, error.problem, {
          topic,
          schemaId,
          recordName: error.recordName,
          cause: error.cause,
        });
      }
      throw error;
    }
    const expected = this.#expectedOn(topic);
    if (!expected.includes(reading.eventType)) {
      const carried =
        expected.length > 0 ? `it carries ${expected.join(", ")}` : "no events are expected on it";
      throw new DecodeError(
        "UNEXPECTED_RECORD_TYPE",
        `a valid ${reading.eventType} record is not expected on topic ${topic}: ${carried}`,
        { topic, schemaId, recordName: reading.recordName },
      );
    }
    return reading;
  }

  /** The event types this codec reads from a (possibly prefixed) topic name. */
  #expectedOn(topic: string): EventType[] {
    const sagaTopic = SAGA_TOPICS.find((candidate) => topicName(candidate, this.naming) === topic);
    if (sagaTopic === undefined) return [];
    return eventTypesOn(sagaTopic).filter((eventType) => this.#readerTypes.has(eventType));
  }

  async #prepareReading(schemaId: number): Promise<Reading> {
    const writerType = await this.#fetchWriterType(schemaId);
    const recordName = writerType.name;
    if (!avro.Type.isType(writerType, "record") || recordName === undefined) {
      throw new ReadingFailure(
        "UNEXPECTED_RECORD_TYPE",
        `schema id ${schemaId} is a ${writerType.typeName}, not a record`,
      );
    }
    const eventType = EVENT_TYPES.find((candidate) => EVENT_SCHEMAS[candidate].recordName === recordName);
    const readerType = eventType === undefined ? undefined : this.#readerTypes.get(eventType);
    if (eventType === undefined || readerType === undefined) {
      const why =
        eventType === undefined ? "is not an event this build knows" : "is not an event this codec reads";
      throw new ReadingFailure("UNEXPECTED_RECORD_TYPE", `record ${recordName} ${why}`, recordName);
    }
    try {
      const resolver = readerType.equals(writerType) ? undefined : readerType.createResolver(writerType);
      return { eventType, recordName, resolver };
    } catch (error) {
      throw new ReadingFailure(
        "INCOMPATIBLE_SCHEMA",
        `this build's ${eventType} schema cannot read what schema id ${schemaId} wrote: ${messageOf(error)}`,
        recordName,
        error,
      );
    }
  }

  async #fetchWriterType(schemaId: number): Promise<avro.Type> {
    let schema: unknown;
    try {
      schema = await this.#registry.getSchema(schemaId);
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) {
        throw new ReadingFailure(
          "UNKNOWN_SCHEMA_ID",
          `the registry has no schema with id ${schemaId}`,
          undefined,
          error,
        );
      }
      if (status !== undefined) {
        throw new RegistryUnavailableError(`fetch schema ${schemaId}`, this.registryUrl, { cause: error });
      }
      // The registry library answers without a status only when it cannot parse what it fetched.
      throw new ReadingFailure(
        "NOT_AVRO",
        `schema id ${schemaId} is not a readable Avro schema: ${messageOf(error)}`,
        undefined,
        error,
      );
    }
    if (!avro.Type.isType(schema)) {
      throw new ReadingFailure("NOT_AVRO", `schema id ${schemaId} is not an Avro schema`);
    }
    return schema as avro.Type;
  }
}

/** Why messages of one schema id cannot be read, on any topic; becomes a DecodeError naming the topic. */
class ReadingFailure extends Error {
  constructor(
    readonly kind: DecodeErrorKind,
    readonly problem: string,
    readonly recordName?: string,
    cause?: unknown,
  ) {
    super(problem, { cause });
  }
}

/** avsc builds records as instances of generated classes; events leave the codec as plain data. */
function toPlainData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlainData);
  if (typeof value === "object" && value !== null && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, toPlainData(field)]));
  }
  return value;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error && typeof error.status === "number") {
    return error.status;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
