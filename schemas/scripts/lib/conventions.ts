import { isDeepStrictEqual } from "node:util";
import {
  type EnumNode,
  isJsonObject,
  type JsonValue,
  namedTypesOf,
  type RecordNode,
  type TypeNode,
} from "./avro-model.js";
import type { EventSchemaFile } from "./schema-files.js";

export const METADATA_FIELD = "metadata";
export const METADATA_RECORD = "stocksaga.common.EventMetadata";
export const ENUM_DEFAULT_SYMBOL = "UNSPECIFIED";

/** The metadata fields every event carries, and the Avro type each must have. */
export const METADATA_FIELD_TYPES: readonly {
  readonly name: string;
  readonly type: unknown;
  readonly default?: null;
}[] = [
  { name: "eventId", type: { type: "string", logicalType: "uuid" } },
  { name: "occurredAt", type: { type: "long", logicalType: "timestamp-millis" } },
  { name: "correlationId", type: "string" },
  { name: "causationId", type: ["null", "string"], default: null },
  { name: "producer", type: "string" },
  { name: "traceparent", type: ["null", "string"], default: null },
];

export function expectedNamespaceOf(eventType: string): string {
  return eventType.startsWith("Order") ? "stocksaga.order" : "stocksaga.inventory";
}

/**
 * Rules every event schema follows beyond what Avro itself checks. The generator refuses to run on a
 * violation, so a schema that breaks one never reaches the registry.
 */
export function findConventionViolations(files: readonly EventSchemaFile[]): string[] {
  const violations: string[] = [];
  const definitions = new Map<string, { path: string; json: unknown }>();
  let referenceMetadata: { path: string; json: unknown } | undefined;

  for (const file of files) {
    const { record, path } = file;
    const expectedNamespace = expectedNamespaceOf(record.name);
    if (record.namespace !== expectedNamespace) {
      violations.push(`${path}: namespace is ${record.namespace}, expected ${expectedNamespace}`);
    }

    const [first] = record.fields;
    if (
      first?.name !== METADATA_FIELD ||
      first.type.kind !== "record" ||
      first.type.fullName !== METADATA_RECORD
    ) {
      violations.push(`${path}: the first field must be "${METADATA_FIELD}" of record ${METADATA_RECORD}`);
    } else {
      violations.push(...metadataShapeViolations(path, first.type));
      const metadataJson = fieldJson(file, METADATA_FIELD);
      if (referenceMetadata === undefined) {
        referenceMetadata = { path, json: metadataJson };
      } else if (!isDeepStrictEqual(metadataJson, referenceMetadata.json)) {
        violations.push(`${path}: the metadata field differs from the one in ${referenceMetadata.path}`);
      }
    }

    if (record.fields.some((field) => field.name === "type")) {
      violations.push(
        `${path}: a top-level field may not be called "type" (it is the TypeScript discriminator)`,
      );
    }

    for (const named of namedTypesOf(record)) {
      violations.push(...docViolations(path, named));
      if (named.kind === "enum") violations.push(...enumViolations(path, named));
      const earlier = definitions.get(named.fullName);
      if (earlier === undefined) {
        definitions.set(named.fullName, { path, json: named.json });
      } else if (!isDeepStrictEqual(earlier.json, named.json) && named.fullName !== METADATA_RECORD) {
        violations.push(`${path}: ${named.fullName} differs from its definition in ${earlier.path}`);
      }
    }
  }
  return violations;
}

function fieldJson(file: EventSchemaFile, name: string): unknown {
  const fields = isJsonObject(file.json) ? file.json.fields : undefined;
  if (!Array.isArray(fields)) return undefined;
  return (fields as readonly JsonValue[]).find((field) => isJsonObject(field) && field.name === name);
}

function metadataShapeViolations(path: string, metadata: RecordNode): string[] {
  const fieldsJson = (metadata.json as { fields?: unknown }).fields;
  const actual = Array.isArray(fieldsJson)
    ? fieldsJson.map((field: { name?: unknown; type?: unknown; default?: unknown }) => ({
        name: field.name,
        type: field.type,
        ...(Object.hasOwn(field, "default") ? { default: field.default } : {}),
      }))
    : [];
  return isDeepStrictEqual(actual, METADATA_FIELD_TYPES)
    ? []
    : [`${path}: ${METADATA_RECORD} must have exactly the fields ${JSON.stringify(METADATA_FIELD_TYPES)}`];
}

function docViolations(path: string, named: RecordNode | EnumNode): string[] {
  const violations: string[] = [];
  if (!named.doc?.trim()) violations.push(`${path}: ${named.kind} ${named.fullName} has no doc`);
  if (named.kind === "record") {
    for (const field of named.fields) {
      if (!field.doc?.trim()) violations.push(`${path}: field ${named.fullName}.${field.name} has no doc`);
      violations.push(
        ...unionViolations(path, `${named.fullName}.${field.name}`, field.type, field.defaultValue),
      );
    }
  }
  return violations;
}

/** The generated types map a union to `T | null`, so only the optional-value shape is allowed. */
function unionViolations(path: string, where: string, type: TypeNode, defaultValue: unknown): string[] {
  if (type.kind !== "union") return [];
  const [first, second, ...rest] = type.branches;
  const isOptional =
    first?.kind === "primitive" && first.name === "null" && second !== undefined && rest.length === 0;
  if (!isOptional) return [`${path}: union ${where} must be ["null", <type>]`];
  return defaultValue === null ? [] : [`${path}: optional field ${where} must default to null`];
}

function enumViolations(path: string, enumType: EnumNode): string[] {
  const violations: string[] = [];
  if (enumType.defaultSymbol !== ENUM_DEFAULT_SYMBOL) {
    violations.push(`${path}: enum ${enumType.fullName} must declare "default": "${ENUM_DEFAULT_SYMBOL}"`);
  }
  if (enumType.symbols[0] !== ENUM_DEFAULT_SYMBOL) {
    violations.push(`${path}: enum ${enumType.fullName} must list ${ENUM_DEFAULT_SYMBOL} first`);
  }
  return violations;
}
