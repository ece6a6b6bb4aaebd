import avro from "avsc";
import type { AvroRecordSchema } from "./event-schema.js";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Avro `string` with logicalType `uuid`: the value stays a string, but only a UUID is valid. */
class UuidType extends avro.types.LogicalType {
  protected override _fromValue(value: unknown): unknown {
    return value;
  }

  protected override _toValue(value: unknown): unknown {
    return typeof value === "string" && UUID_PATTERN.test(value) ? value : undefined;
  }

  protected override _resolve(writer: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(writer, "string", "logical:uuid") ? (value) => value : undefined;
  }
}

/** How avsc's fromBuffer reports a body that ends early; the block guards below report the same way. */
export const TRUNCATED_BUFFER = "truncated buffer";

/** The parts of avsc's internal reading cursor that block reading needs. */
interface AvroTap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipString(): void;
}

interface InternalType {
  _read(tap: AvroTap): unknown;
  _skip(tap: AvroTap): void;
}

/**
 * Reads the count of the next block of an array or map, refusing counts the bytes left cannot hold.
 * avsc trusts the count: a corrupt or hostile message announcing 10^8 items makes it allocate until the
 * process dies, and a negative block size makes it loop forever. Every item of our schemas takes at
 * least one byte (no arrays of null or of empty records), so a count above the bytes left is corrupt.
 */
function readBlockCount(tap: AvroTap, what: string): { count: number; byteSize: number | undefined } {
  let count = tap.readLong();
  let byteSize: number | undefined;
  if (count < 0) {
    count = -count;
    byteSize = tap.readLong();
    if (byteSize < 0) throw new Error(`${what} block announces a negative size of ${byteSize} bytes`);
  }
  const remaining = tap.buf.length - tap.pos;
  // Past the end already: stop here and let avsc report the truncation.
  if (remaining < 0) return { count: 0, byteSize: undefined };
  if (count > remaining) {
    throw new Error(
      `${TRUNCATED_BUFFER}: ${what} block announces ${count} items but only ${remaining} bytes are left`,
    );
  }
  return { count, byteSize };
}

class GuardedArrayType extends avro.types.ArrayType {
  // In a resolver avsc calls this with the resolver as `this`, whose itemsType is the items' resolver.
  _read(this: { readonly itemsType: InternalType }, tap: AvroTap): unknown[] {
    const items: unknown[] = [];
    for (let block = readBlockCount(tap, "array"); block.count > 0; block = readBlockCount(tap, "array")) {
      for (let index = 0; index < block.count; index++) items.push(this.itemsType._read(tap));
    }
    return items;
  }

  _skip(this: { readonly itemsType: InternalType }, tap: AvroTap): void {
    for (let block = readBlockCount(tap, "array"); block.count > 0; block = readBlockCount(tap, "array")) {
      if (block.byteSize !== undefined) {
        tap.pos += block.byteSize;
      } else {
        for (let index = 0; index < block.count; index++) this.itemsType._skip(tap);
      }
    }
  }
}

class GuardedMapType extends avro.types.MapType {
  _read(
    this: { readonly valuesType: InternalType },
    tap: AvroTap & { readString(): string },
  ): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (let block = readBlockCount(tap, "map"); block.count > 0; block = readBlockCount(tap, "map")) {
      for (let index = 0; index < block.count; index++) {
        const key = tap.readString();
        values[key] = this.valuesType._read(tap);
      }
    }
    return values;
  }

  _skip(this: { readonly valuesType: InternalType }, tap: AvroTap): void {
    for (let block = readBlockCount(tap, "map"); block.count > 0; block = readBlockCount(tap, "map")) {
      if (block.byteSize !== undefined) {
        tap.pos += block.byteSize;
      } else {
        for (let index = 0; index < block.count; index++) {
          tap.skipString();
          this.valuesType._skip(tap);
        }
      }
    }
  }
}

/** avsc options that build arrays and maps with bounded block counts; also given to the registry client. */
export const GUARDED_TYPE_OPTIONS = {
  typeHook: (schema: avro.Schema, options: object): avro.Type | undefined => {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema) || !("type" in schema))
      return undefined;
    if (schema.type === "array") return new GuardedArrayType(schema, options);
    if (schema.type === "map") return new GuardedMapType(schema, options);
    return undefined;
  },
};

/**
 * The avsc type this build reads and writes an event with. Timestamps stay epoch milliseconds (the
 * underlying long), so events survive a JSON round trip through an outbox table unchanged.
 */
export function avroTypeOf(schema: AvroRecordSchema): avro.Type {
  return avro.Type.forSchema(schema as unknown as avro.Schema, {
    ...GUARDED_TYPE_OPTIONS,
    logicalTypes: { uuid: UuidType },
    omitRecordMethods: true,
  });
}

export interface ValueProblem {
  /** Where the bad value is, e.g. `lines[0].quantity`; empty for the whole value. */
  readonly path: string;
  readonly value: unknown;
  readonly expected: string;
}

export function describeProblem(problem: ValueProblem): string {
  const where = problem.path === "" ? "the value" : problem.path;
  return `${where}: ${preview(problem.value)} is not ${problem.expected}`;
}

/** Every field of `value` that `type` would refuse, named by its path; empty when the value is valid. */
export function findValueProblems(type: avro.Type, value: unknown): ValueProblem[] {
  const problems: ValueProblem[] = [];
  type.isValid(value, {
    errorHook: (path, invalid, invalidType) => {
      problems.push({ path: formatPath(path), value: invalid, expected: describeType(invalidType) });
    },
  });
  return problems;
}

function formatPath(path: readonly string[]): string {
  return path.reduce((text, segment) => {
    if (/^\d+$/.test(segment)) return `${text}[${segment}]`;
    return text === "" ? segment : `${text}.${segment}`;
  }, "");
}

function describeType(type: avro.Type): string {
  if (avro.Type.isType(type, "logical:uuid")) return "a UUID string";
  if (type instanceof avro.types.EnumType) return `one of ${type.symbols.join(", ")}`;
  if (type instanceof avro.types.RecordType) return `a ${type.name ?? "record"} record`;
  if (avro.Type.isType(type, "union"))
    return `a ${type.schema() === null ? "union" : JSON.stringify(type.schema())}`;
  if (avro.Type.isType(type, "int")) return "a 32-bit integer (Avro int)";
  if (avro.Type.isType(type, "long")) return "a safe integer (Avro long)";
  return `a valid Avro ${type.typeName}`;
}

function preview(value: unknown): string {
  if (value === undefined) return "undefined (missing)";
  const text = typeof value === "bigint" ? `${value}n` : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
