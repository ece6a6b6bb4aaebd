/**
 * A small typed client for the parts of the Confluent-compatible registry API that
 * @kafkajs/confluent-schema-registry does not expose: per-subject compatibility, compatibility tests
 * against one version, lookup that tells "absent" from "failed", versions and deletion.
 */

export const DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

export const COMPATIBILITY_LEVELS = [
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** The registry answered, but not with success. `errorCode` is the Confluent error code (e.g. 40401). */
export class RegistryError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly errorCode: number | undefined,
    readonly registryMessage: string,
  ) {
    super(
      `${operation}: registry answered ${status}${errorCode ? ` (${errorCode})` : ""}: ${registryMessage}`,
    );
    this.name = "RegistryError";
  }
}

/** The registry refused a schema as incompatible with the subject's registered versions (HTTP 409). */
export class IncompatibleSchemaError extends RegistryError {
  constructor(
    readonly subject: string,
    status: number,
    errorCode: number | undefined,
    registryMessage: string,
  ) {
    super(`register ${subject}`, status, errorCode, registryMessage);
    this.name = "IncompatibleSchemaError";
    this.message = `registry refused the schema for subject ${subject} as incompatible: ${registryMessage}`;
  }
}

/** The registry could not be reached or did not answer in time; worth retrying. */
export class RegistryUnavailableError extends Error {
  constructor(
    readonly operation: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause;
    super(
      `${operation}: registry at ${url} is unavailable (${cause instanceof Error ? cause.message : String(cause)})`,
      options,
    );
    this.name = "RegistryUnavailableError";
  }
}

export interface RegisteredSchemaVersion {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
}

export interface CompatibilityVerdict {
  readonly compatible: boolean;
  /** Reasons the registry gave, if any (Apicurio 3.3 gives none, even with `verbose=true`). */
  readonly messages: readonly string[];
}

export interface RegistryClientOptions {
  /** Per-request timeout; defaults to 10 s. */
  readonly timeoutMs?: number;
}

type JsonObject = { readonly [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expectNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`${what} is not an integer`);
  return value;
}

export class RegistryClient {
  readonly baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: RegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async subjects(): Promise<string[]> {
    const body = await this.#request("list subjects", "GET", "/subjects");
    return Array.isArray(body)
      ? body.filter((subject): subject is string => typeof subject === "string")
      : [];
  }

  /** The subject's own compatibility level, or undefined when the subject has none set. */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const body = await this.#request(`get compatibility of ${subject}`, "GET", `/config/${encode(subject)}`, {
      absentOn404: true,
    });
    if (body === undefined) return undefined;
    const level = isObject(body) ? body.compatibilityLevel : undefined;
    return COMPATIBILITY_LEVELS.find((known) => known === level);
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#request(`set compatibility of ${subject}`, "PUT", `/config/${encode(subject)}`, {
      body: { compatibility: level },
    });
  }

  /** Registers a schema under a subject and returns its id; registering the same schema again returns the same id. */
  async register(subject: string, schema: string): Promise<number> {
    const body = await this.#request(`register ${subject}`, "POST", `/subjects/${encode(subject)}/versions`, {
      body: { schema },
      subjectForConflict: subject,
    });
    return expectNumber(isObject(body) ? body.id : undefined, `id registered for ${subject}`);
  }

  /**
   * Finds the version of `subject` holding `schema`, or undefined when the subject does not exist or
   * does not hold it. Apicurio compares canonical forms here: whitespace, key order and docs are ignored.
   */
  async lookup(subject: string, schema: string): Promise<RegisteredSchemaVersion | undefined> {
    const body = await this.#request(`look up schema in ${subject}`, "POST", `/subjects/${encode(subject)}`, {
      body: { schema },
      absentOn404: true,
    });
    return body === undefined ? undefined : parseVersion(body, subject);
  }

  /** Registered versions of a subject, oldest first; empty when the subject does not exist. */
  async versions(subject: string): Promise<number[]> {
    const body = await this.#request(
      `list versions of ${subject}`,
      "GET",
      `/subjects/${encode(subject)}/versions`,
      {
        absentOn404: true,
      },
    );
    if (!Array.isArray(body)) return [];
    return body.filter((version): version is number => typeof version === "number").sort((a, b) => a - b);
  }

  async schemaVersion(subject: string, version: number | "latest"): Promise<RegisteredSchemaVersion> {
    const body = await this.#request(
      `get version ${version} of ${subject}`,
      "GET",
      `/subjects/${encode(subject)}/versions/${version}`,
    );
    return parseVersion(body, subject);
  }

  /** The schema text registered under an id, or undefined when the registry has no such id. */
  async schemaById(id: number): Promise<string | undefined> {
    const body = await this.#request(`get schema ${id}`, "GET", `/schemas/ids/${id}`, { absentOn404: true });
    if (body === undefined) return undefined;
    const schema = isObject(body) ? body.schema : undefined;
    if (typeof schema !== "string") throw new TypeError(`schema ${id} has no schema text`);
    return schema;
  }

  /**
   * Tests `schema` against one registered version. Apicurio 3.3 compares with that version only, even
   * when the subject is transitive: test every version to cover the subject's history.
   */
  async testCompatibility(
    subject: string,
    schema: string,
    version: number | "latest",
  ): Promise<CompatibilityVerdict> {
    const body = await this.#request(
      `test compatibility with ${subject} version ${version}`,
      "POST",
      `/compatibility/subjects/${encode(subject)}/versions/${version}?verbose=true`,
      { body: { schema } },
    );
    return parseVerdict(body);
  }

  /** Tests `schema` against the versions the subject's compatibility level covers (all, when transitive). */
  async testCompatibilityWithSubject(subject: string, schema: string): Promise<CompatibilityVerdict> {
    const body = await this.#request(
      `test compatibility with ${subject}`,
      "POST",
      `/compatibility/subjects/${encode(subject)}/versions?verbose=true`,
      { body: { schema } },
    );
    return parseVerdict(body);
  }

  /** Deletes a subject (soft, then hard when `permanent`), returning the versions it had. */
  async deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    const deleted = await this.#request(`delete ${subject}`, "DELETE", `/subjects/${encode(subject)}`, {
      absentOn404: true,
    });
    if (options.permanent) {
      await this.#request(
        `permanently delete ${subject}`,
        "DELETE",
        `/subjects/${encode(subject)}?permanent=true`,
        {
          absentOn404: true,
        },
      );
    }
    return Array.isArray(deleted)
      ? deleted.filter((version): version is number => typeof version === "number")
      : [];
  }

  async #request(
    operation: string,
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    options: { body?: unknown; absentOn404?: boolean; subjectForConflict?: string } = {},
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: CONTENT_TYPE,
          ...(options.body === undefined ? {} : { "content-type": CONTENT_TYPE }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new RegistryUnavailableError(operation, url, { cause: error });
    }
    const text = await response.text().catch(() => "");
    const body = parseJson(text);
    if (response.ok) return body;
    if (response.status === 404 && options.absentOn404) return undefined;

    const errorCode = isObject(body) && typeof body.error_code === "number" ? body.error_code : undefined;
    const message =
      isObject(body) && typeof body.message === "string" ? body.message : text || response.statusText;
    if (response.status === 409 && options.subjectForConflict !== undefined) {
      throw new IncompatibleSchemaError(options.subjectForConflict, response.status, errorCode, message);
    }
    if (response.status >= 500) {
      throw new RegistryUnavailableError(operation, url, {
        cause: new RegistryError(operation, response.status, errorCode, message),
      });
    }
    throw new RegistryError(operation, response.status, errorCode, message);
  }
}

function encode(subject: string): string {
  return encodeURIComponent(subject);
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parseVersion(body: unknown, subject: string): RegisteredSchemaVersion {
  if (!isObject(body)) throw new TypeError(`unexpected answer for ${subject}: ${JSON.stringify(body)}`);
  return {
    subject,
    id: expectNumber(body.id, `id of ${subject}`),
    version: expectNumber(body.version, `version of ${subject}`),
    schema: typeof body.schema === "string" ? body.schema : "",
  };
}

function parseVerdict(body: unknown): CompatibilityVerdict {
  if (!isObject(body) || typeof body.is_compatible !== "boolean") {
    throw new TypeError(`unexpected compatibility answer: ${JSON.stringify(body)}`);
  }
  const messages = Array.isArray(body.messages)
    ? body.messages.filter((message): message is string => typeof message === "string")
    : [];
  return { compatible: body.is_compatible, messages };
}
