import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import avro from "avsc";
import { type JsonValue, parseType, type RecordNode, SchemaShapeError } from "./avro-model.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SCHEMAS_DIR = join(REPO_ROOT, "schemas");

/** One `.avsc` file: the top-level record of one integration event. */
export interface EventSchemaFile {
  /** Path from the repository root, e.g. `schemas/OrderRequested.avsc`. */
  readonly path: string;
  /** The record's simple name, which is also the event type, e.g. `OrderRequested`. */
  readonly eventType: string;
  readonly record: RecordNode;
  /** The parsed JSON, exactly as in the file. */
  readonly json: JsonValue;
}

export function loadEventSchemas(directory: string = SCHEMAS_DIR): EventSchemaFile[] {
  const fileNames = readdirSync(directory)
    .filter((name) => name.endsWith(".avsc"))
    .sort();
  return fileNames.map((fileName) => loadEventSchema(join(directory, fileName)));
}

export function loadEventSchema(absolutePath: string): EventSchemaFile {
  const path = relative(REPO_ROOT, absolutePath);
  let json: JsonValue;
  try {
    json = JSON.parse(readFileSync(absolutePath, "utf8")) as JsonValue;
  } catch (error) {
    throw new SchemaShapeError(
      path,
      `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return parseEventSchema(path, json);
}

export function parseEventSchema(path: string, json: JsonValue): EventSchemaFile {
  try {
    // avsc knows the Avro specification (names, defaults, duplicate fields); our model only narrows types.
    avro.Type.forSchema(json as avro.Schema);
  } catch (error) {
    throw new SchemaShapeError(
      path,
      `not a valid Avro schema: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const record = parseType(json, "", path);
  if (record.kind !== "record") throw new SchemaShapeError(path, "the top-level type must be a record");
  const expectedFileName = `${record.name}.avsc`;
  if (basename(path) !== expectedFileName) {
    throw new SchemaShapeError(path, `holds record ${record.fullName}; name the file ${expectedFileName}`);
  }
  return { path, eventType: record.name, record, json };
}
