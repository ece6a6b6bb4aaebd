import { describe, expect, it } from "vitest";
import { type EnumNode, type JsonValue, namedTypesOf, type RecordNode } from "./avro-model.js";
import {
  ENUM_DEFAULT_SYMBOL,
  expectedNamespaceOf,
  findConventionViolations,
  METADATA_FIELD,
  METADATA_RECORD,
} from "./conventions.js";
import { type EventSchemaFile, loadEventSchemas, parseEventSchema } from "./schema-files.js";

const files = loadEventSchemas();

function metadataFieldOf(file: EventSchemaFile): JsonValue | undefined {
  const fields = (file.json as { fields: JsonValue[] }).fields;
  return fields.find((field) => (field as { name?: string }).name === METADATA_FIELD);
}

/** A copy of a schema file with its JSON changed, as if someone had edited it. */
function edited(
  file: EventSchemaFile,
  change: (json: { fields: Record<string, unknown>[] }) => void,
): EventSchemaFile {
  const json = structuredClone(file.json) as { fields: Record<string, unknown>[] };
  change(json);
  return parseEventSchema(file.path, json as unknown as JsonValue);
}

describe("the event schemas", () => {
  it("are the 13 events of docs/architecture.md", () => {
    expect(files.map((file) => file.eventType).sort()).toEqual(
      [
        "OrderRequested",
        "OrderConfirmed",
        "OrderAdjusted",
        "OrderRejected",
        "OrderCancelled",
        "StockReserved",
        "StockRejected",
        "StockRequestAnswered",
        "StockCommitted",
        "StockReleased",
        "ReservationExpired",
        "StockAdjusted",
        "ProductOutOfStock",
      ].sort(),
    );
  });

  it("carry an identical metadata block, first", () => {
    const [first, ...rest] = files;
    if (first === undefined) throw new Error("no schemas");
    const reference = metadataFieldOf(first);
    expect(reference).toMatchObject({ type: { name: "EventMetadata", namespace: "stocksaga.common" } });
    for (const file of rest) {
      expect(metadataFieldOf(file), file.path).toStrictEqual(reference);
      expect(file.record.fields[0]?.name, file.path).toBe(METADATA_FIELD);
    }
  });

  it("document every record, enum and field", () => {
    for (const file of files) {
      for (const named of namedTypesOf(file.record)) {
        expect(named.doc?.trim(), `${file.path}: ${named.fullName}`).toBeTruthy();
        if (named.kind !== "record") continue;
        for (const field of (named as RecordNode).fields) {
          expect(field.doc?.trim(), `${file.path}: ${named.fullName}.${field.name}`).toBeTruthy();
        }
      }
    }
  });

  it("give every enum the default UNSPECIFIED, listed first", () => {
    const enums = files.flatMap((file) =>
      namedTypesOf(file.record).filter((named): named is EnumNode => named.kind === "enum"),
    );
    expect(enums.length).toBeGreaterThanOrEqual(4);
    for (const enumType of enums) {
      expect(enumType.defaultSymbol, enumType.fullName).toBe(ENUM_DEFAULT_SYMBOL);
      expect(enumType.symbols[0], enumType.fullName).toBe(ENUM_DEFAULT_SYMBOL);
    }
  });

  it("use the namespace of the service that produces them", () => {
    for (const file of files) {
      expect(file.record.namespace, file.path).toBe(expectedNamespaceOf(file.eventType));
    }
    expect(expectedNamespaceOf("OrderRequested")).toBe("stocksaga.order");
    expect(expectedNamespaceOf("ReservationExpired")).toBe("stocksaga.inventory");
  });

  it("follow every convention", () => {
    expect(findConventionViolations(files)).toEqual([]);
  });
});

describe("findConventionViolations", () => {
  const [orderRequested, ...others] = files.filter((file) => file.eventType.startsWith("Order"));
  if (orderRequested === undefined) throw new Error("no order schemas");

  it("catches a field without a doc", () => {
    const undocumented = edited(orderRequested, (json) => {
      json.fields.push({ name: "note", type: ["null", "string"], default: null });
    });
    expect(findConventionViolations([undocumented, ...others])).toEqual([
      `${orderRequested.path}: field ${orderRequested.record.fullName}.note has no doc`,
    ]);
  });

  it("catches an enum without a default", () => {
    const noDefault = edited(orderRequested, (json) => {
      json.fields.push({
        name: "channel",
        doc: "Where the order came from.",
        type: { type: "enum", name: "Channel", doc: "Sales channel.", symbols: ["UNSPECIFIED", "WEB"] },
      });
    });
    expect(findConventionViolations([noDefault])).toEqual([
      `${orderRequested.path}: enum stocksaga.order.Channel must declare "default": "UNSPECIFIED"`,
    ]);
  });

  it("catches a metadata block that drifted in one file", () => {
    const drifted = edited(orderRequested, (json) => {
      const metadata = json.fields[0] as { type: { fields: { name: string; doc: string }[] } };
      const eventId = metadata.type.fields[0];
      if (eventId) eventId.doc = "Something else.";
    });
    const violations = findConventionViolations([...others, drifted]);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(`${orderRequested.path}: the metadata field differs`);
  });

  it("catches a metadata record missing a field", () => {
    const trimmed = edited(orderRequested, (json) => {
      const metadata = json.fields[0] as { type: { fields: { name: string }[] } };
      metadata.type.fields = metadata.type.fields.filter((field) => field.name !== "traceparent");
    });
    expect(findConventionViolations([trimmed]).join("\n")).toContain(
      `${METADATA_RECORD} must have exactly the fields`,
    );
  });
});
