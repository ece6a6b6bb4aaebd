import { randomUUID } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** What these checks read of an OpenAPI 3.1 document. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

interface MediaType {
  schema?: JsonSchema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
  security?: unknown[];
}

export interface DocumentedOperation {
  method: string;
  path: string;
  operation: Operation;
  /** `METHOD /path`, as the document names it. */
  name: string;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export function operationsOf(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
        name: `${method.toUpperCase()} ${path}`,
      })),
  );
}

/**
 * Checks the document against the OpenAPI 3.1 JSON Schema (`@seriousme/openapi-schema-validator`,
 * which uses the specification's own published schemas), then compiles each of its schemas as
 * JSON Schema 2020-12, the dialect 3.1 uses. Returns what is wrong; empty when it validates.
 */
export async function openApiProblems(document: OpenApiDocument): Promise<string[]> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as never);
  const problems: string[] = [];
  if (!result.valid) problems.push(`not a valid OpenAPI document: ${JSON.stringify(result.errors)}`);
  if (validator.version !== "3.1") problems.push(`OpenAPI version ${validator.version}, not 3.1`);
  const ajv = schemaValidator(document);
  for (const name of Object.keys(document.components?.schemas ?? {})) {
    try {
      ajv.getSchema(`openapi.json#/components/schemas/${name}`);
    } catch (error) {
      problems.push(`schema ${name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** What each operation lacks: a schema for each parameter and body it takes, and for each response. */
export function missingSchemas(document: OpenApiDocument): string[] {
  const missing: string[] = [];
  for (const { name, operation } of operationsOf(document)) {
    for (const parameter of operation.parameters ?? []) {
      if (!parameter.schema) missing.push(`${name}: parameter ${parameter.name} has no schema`);
    }
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      if (!media.schema) missing.push(`${name}: request body ${type} has no schema`);
    }
    if (operation.requestBody && Object.keys(operation.requestBody.content ?? {}).length === 0) {
      missing.push(`${name}: request body without content`);
    }
    const responses = Object.entries(operation.responses ?? {});
    if (responses.length === 0) missing.push(`${name}: no responses`);
    for (const [status, response] of responses) {
      const content = Object.entries(response.content ?? {});
      if (content.length === 0) missing.push(`${name}: response ${status} has no content`);
      for (const [type, media] of content) {
        if (!media.schema) missing.push(`${name}: response ${status} ${type} has no schema`);
      }
      if (Number(status) >= 400 && Number(status) < 500 && !response.content?.["application/problem+json"]) {
        missing.push(`${name}: error ${status} is not problem+json`);
      }
    }
  }
  return missing;
}

/** The schema with its `#/components/...` references pointing into the document added as `openapi.json`. */
function anchored(schema: JsonSchema): JsonSchema {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'),
  ) as JsonSchema;
}

const validators = new WeakMap<OpenApiDocument, Ajv2020>();

function schemaValidator(document: OpenApiDocument): Ajv2020 {
  let ajv = validators.get(document);
  if (!ajv) {
    // `example` is an OpenAPI keyword; formats such as uuid and date-time are asserted.
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: "openapi.json", components: document.components ?? {} });
    validators.set(document, ajv);
  }
  return ajv;
}

/** A value that `schema` accepts, built from its examples, defaults, enums and bounds. */
export function sampleOf(schema: JsonSchema, document: OpenApiDocument): unknown {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    return sampleOf(target, document);
  }
  if ("example" in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ("const" in schema) return schema.const;
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleOf(options[0] as JsonSchema, document);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, sampleOf(value, document)]),
      );
    }
    case "array": {
      const count = Math.max(1, Number(schema.minItems ?? 1));
      return Array.from({ length: count }, () => sampleOf((schema.items ?? {}) as JsonSchema, document));
    }
    case "integer":
    case "number": {
      const minimum = typeof schema.minimum === "number" ? schema.minimum : undefined;
      const maximum = typeof schema.maximum === "number" ? schema.maximum : undefined;
      return minimum ?? Math.min(1, maximum ?? 1);
    }
    case "boolean":
      return true;
    case "string":
      if (schema.format === "uuid") return randomUUID();
      if (schema.format === "date-time") return new Date().toISOString();
      return "s".repeat(Math.max(1, Number(schema.minLength ?? 6)));
    default:
      return null;
  }
}

export interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * A valid request for `operation`: each parameter and the body sampled from their schemas, except
 * the values the caller names (`given`: path and query parameters by name, such as an id that
 * exists). Throws if a sampled value does not satisfy its own schema.
 */
export function generateRequest(
  document: OpenApiDocument,
  { method, path, operation }: DocumentedOperation,
  given: Record<string, string> = {},
  headers: Record<string, string> = {},
): GeneratedRequest {
  const ajv = schemaValidator(document);
  const valid = (schema: JsonSchema, value: unknown, what: string) => {
    if (!ajv.validate(anchored(schema), value)) {
      throw new Error(`generated ${what} breaks its schema: ${ajv.errorsText(ajv.errors)}`);
    }
  };
  let url = path;
  const query = new URLSearchParams();
  const sent: Record<string, string> = { ...headers };
  for (const parameter of operation.parameters ?? []) {
    const schema = parameter.schema ?? {};
    const value = parameter.name in given ? given[parameter.name] : sampleOf(schema, document);
    if (
      value === undefined ||
      (!parameter.required && !(parameter.name in given) && parameter.in !== "path")
    ) {
      continue;
    }
    valid(
      schema,
      parameter.in === "query" && schema.type === "integer" ? Number(value) : value,
      parameter.name,
    );
    if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(value)));
    if (parameter.in === "query") query.set(parameter.name, String(value));
    if (parameter.in === "header") sent[parameter.name] = String(value);
  }
  const json = operation.requestBody?.content?.["application/json"]?.schema;
  let body: string | undefined;
  if (json) {
    const value = sampleOf(json, document);
    valid(json, value, "body");
    body = JSON.stringify(value);
    sent["content-type"] = "application/json";
  }
  const search = query.toString();
  return {
    method,
    url: search ? `${url}?${search}` : url,
    headers: sent,
    ...(body !== undefined ? { body } : {}),
  };
}

/** What is wrong with `response` as an answer of `operation`: an undocumented status, media type or body. */
export async function responseProblems(
  document: OpenApiDocument,
  operation: Operation,
  response: Response,
): Promise<string[]> {
  const documented = operation.responses?.[String(response.status)] ?? operation.responses?.default;
  if (!documented) return [`status ${response.status} is not documented`];
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const media = documented.content?.[mediaType];
  if (!media?.schema) return [`${response.status} ${mediaType} is not documented`];
  if (mediaType === "text/event-stream") {
    // A stream may never end: its documented media type is what can be checked without reading it.
    await response.body?.cancel();
    return [];
  }
  const text = await response.text();
  const body = /json$/.test(mediaType) ? (JSON.parse(text) as unknown) : text;
  const ajv = schemaValidator(document);
  if (ajv.validate(anchored(media.schema), body)) return [];
  return [`${response.status} body breaks its schema: ${ajv.errorsText(ajv.errors)}: ${text.slice(0, 500)}`];
}
