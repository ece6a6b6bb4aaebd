/**
 * A typed view of the Avro JSON in `schemas/*.avsc`, narrowed from `unknown` once so the generator,
 * the catalog and the convention checks never poke at raw JSON.
 */

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export type PrimitiveName = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";

export interface PrimitiveNode {
  readonly kind: "primitive";
  readonly name: PrimitiveName;
  readonly logicalType: string | undefined;
}

export interface RecordNode {
  readonly kind: "record";
  readonly fullName: string;
  readonly name: string;
  readonly namespace: string;
  readonly doc: string | undefined;
  readonly fields: readonly FieldNode[];
  /** The record exactly as written, to compare definitions of one name across files. */
  readonly json: JsonValue;
}

export interface EnumNode {
  readonly kind: "enum";
  readonly fullName: string;
  readonly name: string;
  readonly namespace: string;
  readonly doc: string | undefined;
  readonly symbols: readonly string[];
  readonly defaultSymbol: string | undefined;
  readonly json: JsonValue;
}

export interface ArrayNode {
  readonly kind: "array";
  readonly items: TypeNode;
}

export interface MapNode {
  readonly kind: "map";
  readonly values: TypeNode;
}

export interface UnionNode {
  readonly kind: "union";
  readonly branches: readonly TypeNode[];
}

/** A use, by name, of a record or enum defined earlier in the same file. */
export interface ReferenceNode {
  readonly kind: "reference";
  readonly fullName: string;
}

export type TypeNode =
  | PrimitiveNode
  | RecordNode
  | EnumNode
  | ArrayNode
  | MapNode
  | UnionNode
  | ReferenceNode;

export interface FieldNode {
  readonly name: string;
  readonly doc: string | undefined;
  readonly type: TypeNode;
  readonly hasDefault: boolean;
  readonly defaultValue: JsonValue | undefined;
}

const PRIMITIVES: readonly PrimitiveName[] = [
  "null",
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "bytes",
  "string",
];

export class SchemaShapeError extends Error {
  constructor(
    readonly location: string,
    problem: string,
  ) {
    super(`${location}: ${problem}`);
    this.name = "SchemaShapeError";
  }
}

function isPrimitiveName(value: string): value is PrimitiveName {
  return (PRIMITIVES as readonly string[]).includes(value);
}

export function isJsonObject(value: JsonValue | undefined): value is { readonly [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(
  object: { readonly [key: string]: JsonValue },
  key: string,
  location: string,
): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new SchemaShapeError(location, `"${key}" must be a string`);
  return value;
}

function requiredString(
  object: { readonly [key: string]: JsonValue },
  key: string,
  location: string,
): string {
  const value = optionalString(object, key, location);
  if (value === undefined) throw new SchemaShapeError(location, `"${key}" is required`);
  return value;
}

function qualify(name: string, namespace: string): { fullName: string; name: string; namespace: string } {
  const lastDot = name.lastIndexOf(".");
  if (lastDot >= 0) {
    return { fullName: name, name: name.slice(lastDot + 1), namespace: name.slice(0, lastDot) };
  }
  return { fullName: namespace ? `${namespace}.${name}` : name, name, namespace };
}

/** Parses one Avro type, resolving names against `enclosingNamespace` as the Avro spec does. */
export function parseType(json: JsonValue, enclosingNamespace: string, location: string): TypeNode {
  if (typeof json === "string") {
    if (isPrimitiveName(json)) return { kind: "primitive", name: json, logicalType: undefined };
    return { kind: "reference", fullName: qualify(json, enclosingNamespace).fullName };
  }
  if (Array.isArray(json)) {
    return {
      kind: "union",
      branches: json.map((branch, index) => parseType(branch, enclosingNamespace, `${location}[${index}]`)),
    };
  }
  if (!isJsonObject(json))
    throw new SchemaShapeError(location, "expected a type name, a union or a type object");

  const type = requiredString(json, "type", location);
  switch (type) {
    case "record": {
      const declaredNamespace = optionalString(json, "namespace", location) ?? enclosingNamespace;
      const names = qualify(requiredString(json, "name", location), declaredNamespace);
      const rawFields = json.fields;
      if (!Array.isArray(rawFields))
        throw new SchemaShapeError(location, `record ${names.fullName} needs "fields"`);
      const fields = rawFields.map((raw: JsonValue, index: number) =>
        parseField(raw, names.namespace, `${location}.${names.name}.fields[${index}]`),
      );
      return {
        kind: "record",
        ...names,
        doc: optionalString(json, "doc", location),
        fields,
        json,
      };
    }
    case "enum": {
      const declaredNamespace = optionalString(json, "namespace", location) ?? enclosingNamespace;
      const names = qualify(requiredString(json, "name", location), declaredNamespace);
      const symbols = json.symbols;
      if (!Array.isArray(symbols) || !symbols.every((symbol) => typeof symbol === "string")) {
        throw new SchemaShapeError(location, `enum ${names.fullName} needs string "symbols"`);
      }
      return {
        kind: "enum",
        ...names,
        doc: optionalString(json, "doc", location),
        symbols: symbols as readonly string[],
        defaultSymbol: optionalString(json, "default", location),
        json,
      };
    }
    case "array": {
      const items = json.items;
      if (items === undefined) throw new SchemaShapeError(location, `array needs "items"`);
      return { kind: "array", items: parseType(items, enclosingNamespace, `${location}.items`) };
    }
    case "map": {
      const values = json.values;
      if (values === undefined) throw new SchemaShapeError(location, `map needs "values"`);
      return { kind: "map", values: parseType(values, enclosingNamespace, `${location}.values`) };
    }
    default: {
      if (isPrimitiveName(type)) {
        return { kind: "primitive", name: type, logicalType: optionalString(json, "logicalType", location) };
      }
      throw new SchemaShapeError(location, `unsupported type "${type}"`);
    }
  }
}

function parseField(json: JsonValue, namespace: string, location: string): FieldNode {
  if (!isJsonObject(json)) throw new SchemaShapeError(location, "a field must be an object");
  const name = requiredString(json, "name", location);
  const type = json.type;
  if (type === undefined) throw new SchemaShapeError(`${location} (${name})`, `"type" is required`);
  return {
    name,
    doc: optionalString(json, "doc", location),
    type: parseType(type, namespace, `${location} (${name})`),
    hasDefault: Object.hasOwn(json, "default"),
    defaultValue: json.default,
  };
}

/** Every named type (record or enum) defined in a tree, outermost first. */
export function namedTypesOf(root: TypeNode): (RecordNode | EnumNode)[] {
  const found: (RecordNode | EnumNode)[] = [];
  const visit = (node: TypeNode): void => {
    switch (node.kind) {
      case "record":
        found.push(node);
        for (const field of node.fields) visit(field.type);
        return;
      case "enum":
        found.push(node);
        return;
      case "array":
        visit(node.items);
        return;
      case "map":
        visit(node.values);
        return;
      case "union":
        for (const branch of node.branches) visit(branch);
        return;
      case "primitive":
      case "reference":
        return;
      default: {
        const unreachable: never = node;
        throw new Error(`unexpected node ${JSON.stringify(unreachable)}`);
      }
    }
  };
  visit(root);
  return found;
}
