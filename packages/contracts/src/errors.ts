import { describeProblem, type ValueProblem } from "./avro.js";

/**
 * Why a message could not be decoded. All but REGISTRY trouble are properties of the message itself,
 * so retrying will not help: dead-letter it.
 * - WRONG_MAGIC_BYTE: not Confluent-framed (first byte is not 0): not Avro from this registry.
 * - NOT_AVRO: the schema id names a schema that is not Avro (JSON Schema, Protobuf) or not parseable.
 * - TRUNCATED: empty, shorter than the 5-byte header, or the Avro body ends early.
 * - UNKNOWN_SCHEMA_ID: the registry has no schema with that id.
 * - UNEXPECTED_RECORD_TYPE: a valid record, but of a type this codec does not expect on that topic.
 * - INCOMPATIBLE_SCHEMA: the writer's schema cannot be resolved against this build's reader schema.
 * - INVALID_PAYLOAD: the Avro body is malformed (bad union index, trailing bytes...) or a value is invalid.
 */
export type DecodeErrorKind =
  | "WRONG_MAGIC_BYTE"
  | "NOT_AVRO"
  | "TRUNCATED"
  | "UNKNOWN_SCHEMA_ID"
  | "UNEXPECTED_RECORD_TYPE"
  | "INCOMPATIBLE_SCHEMA"
  | "INVALID_PAYLOAD";

export interface DecodeErrorDetails {
  readonly topic: string;
  readonly schemaId?: number;
  readonly recordName?: string;
  readonly cause?: unknown;
}

export class DecodeError extends Error {
  readonly kind: DecodeErrorKind;
  readonly topic: string;
  readonly schemaId: number | undefined;
  readonly recordName: string | undefined;

  constructor(kind: DecodeErrorKind, problem: string, details: DecodeErrorDetails) {
    const origin = [
      `topic ${details.topic}`,
      details.schemaId === undefined ? undefined : `schema id ${details.schemaId}`,
      details.recordName === undefined ? undefined : `record ${details.recordName}`,
    ]
      .filter(Boolean)
      .join(", ");
    super(`${kind}: ${problem} (${origin})`, { cause: details.cause });
    this.name = "DecodeError";
    this.kind = kind;
    this.topic = details.topic;
    this.schemaId = details.schemaId;
    this.recordName = details.recordName;
  }
}

/** An event this codec cannot encode: a programming error in the producer, never worth retrying. */
export class EncodeError extends Error {
  constructor(
    readonly eventType: string,
    readonly problems: readonly ValueProblem[],
    problem: string = `${eventType} is not valid: ${problems.map(describeProblem).join("; ")}`,
  ) {
    super(problem);
    this.name = "EncodeError";
  }
}

/** The registry lacks the exact schema this build was made with, under the subjects listed. */
export class SchemaNotRegisteredError extends Error {
  constructor(
    readonly subjects: readonly string[],
    readonly registryUrl: string,
  ) {
    super(
      `the registry at ${registryUrl} does not hold the schema this build uses for ${subjects.length === 1 ? "subject" : "subjects"} ` +
        `${subjects.join(", ")}; register them (npm run schemas:register) before starting`,
    );
    this.name = "SchemaNotRegisteredError";
  }
}
