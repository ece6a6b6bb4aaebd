import avro from "avsc";
import type { AvroRecordSchema } from "./event-schema.js";
import { EVENT_SCHEMAS } from "./events/schemas.js";
import type { EventType } from "./events/types.js";
import { type CompatibilityLevel, type RegistryClient, RegistryError } from "./registry.js";
import { ROUTED_EVENT_TYPES, subjectFor, type TopicNaming } from "./topics.js";

/** Every subject: any version reads data of any other, in both directions, across the whole history. */
export const REQUIRED_COMPATIBILITY: CompatibilityLevel = "FULL_TRANSITIVE";

export interface ContractSelection {
  readonly naming?: TopicNaming;
  /** Defaults to every event, in topic-map order. */
  readonly events?: readonly EventType[];
}

export interface SubjectSchema {
  readonly subject: string;
  readonly schema: AvroRecordSchema;
}

/** The subjects and schemas of this build: what `register` publishes and `check` tests. */
export function contractSubjects(selection: ContractSelection = {}): SubjectSchema[] {
  return (selection.events ?? ROUTED_EVENT_TYPES).map((eventType) => ({
    subject: subjectFor(eventType, selection.naming),
    schema: EVENT_SCHEMAS[eventType].schema,
  }));
}

/** The text registered for a schema. Apicurio compares canonical forms, so only content matters. */
export function schemaText(schema: AvroRecordSchema): string {
  return JSON.stringify(schema);
}

export type CompatibilityStatus = "new" | "compatible" | "incompatible";

export interface CompatibilityReport {
  readonly subject: string;
  readonly status: CompatibilityStatus;
  /** The subject's own compatibility level, undefined when none is set. */
  readonly compatibility: CompatibilityLevel | undefined;
  readonly registeredVersions: readonly number[];
  /** Why the schema is refused, one sentence each naming the version and the reason; empty unless incompatible. */
  readonly problems: readonly string[];
  /** Set when the subject exists but is not FULL_TRANSITIVE (registering fixes it). */
  readonly compatibilityProblem: string | undefined;
}

/** Every reason to fail a check, one line each, naming the subject. */
export function failuresOf(reports: readonly CompatibilityReport[]): string[] {
  return reports.flatMap((report) => [
    ...(report.compatibilityProblem === undefined ? [] : [report.compatibilityProblem]),
    ...report.problems,
  ]);
}

/**
 * Tests a schema against every registered version of its subject, and refuses it when any version says no:
 * - the registry's verdict, asked per version because Apicurio 3.3 compares only with the version in the
 *   URL (`latest` is not transitive there);
 * - avsc resolving each way, which also explains why (Apicurio gives no reasons, even with verbose=true);
 * - a dropped enum symbol: the registry accepts it when the enum has a default, but events carrying the
 *   symbol would then silently read as the default.
 */
export async function checkSubject(
  client: RegistryClient,
  subject: string,
  schema: AvroRecordSchema,
): Promise<CompatibilityReport> {
  const [versions, compatibility] = await Promise.all([
    client.versions(subject),
    client.getCompatibility(subject),
  ]);
  const compatibilityProblem =
    versions.length > 0 && compatibility !== REQUIRED_COMPATIBILITY
      ? `${subject} has compatibility ${compatibility ?? "unset (the global default applies)"}, expected ${REQUIRED_COMPATIBILITY}`
      : undefined;
  const text = schemaText(schema);
  const localType = avro.Type.forSchema(schema as unknown as avro.Schema);
  const problems: string[] = [];
  for (const version of versions) {
    const [verdict, registered] = await Promise.all([
      client.testCompatibility(subject, text, version),
      client.schemaVersion(subject, version),
    ]);
    const registeredType = avro.Type.forSchema(JSON.parse(registered.schema) as avro.Schema);
    const reasons = [
      ...verdict.messages,
      ...resolutionProblems(localType, registeredType),
      ...droppedEnumSymbols(localType, registeredType),
    ];
    if (!verdict.compatible || reasons.length > 0) {
      const verdictText = verdict.compatible
        ? "the registry accepts it"
        : "the registry finds it incompatible";
      problems.push(
        `${subject} against version ${version} (id ${registered.id}): ${verdictText}` +
          (reasons.length > 0 ? `; ${reasons.join("; ")}` : ""),
      );
    }
  }
  return {
    subject,
    status: versions.length === 0 ? "new" : problems.length > 0 ? "incompatible" : "compatible",
    compatibility,
    registeredVersions: versions,
    problems,
    compatibilityProblem,
  };
}

export async function checkContracts(
  client: RegistryClient,
  selection: ContractSelection = {},
): Promise<CompatibilityReport[]> {
  const reports: CompatibilityReport[] = [];
  for (const { subject, schema } of contractSubjects(selection)) {
    reports.push(await checkSubject(client, subject, schema));
  }
  return reports;
}

export interface Registration {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
}

export class ContractCheckFailedError extends Error {
  constructor(readonly reports: readonly CompatibilityReport[]) {
    super(
      `refusing to register: ${reports.map((report) => report.subject).join(", ")} failed the check:\n  ` +
        reports.flatMap((report) => report.problems).join("\n  "),
    );
    this.name = "ContractCheckFailedError";
  }
}

/**
 * Publishes this build's schemas: per subject, sets FULL_TRANSITIVE explicitly, then registers the schema.
 * Idempotent: a schema already registered keeps its id and version. Runs the check first, so nothing
 * the check refuses (such as a dropped enum symbol the registry would accept) gets registered.
 * @throws ContractCheckFailedError, IncompatibleSchemaError, RegistryError, RegistryUnavailableError
 */
export async function registerContracts(
  client: RegistryClient,
  selection: ContractSelection = {},
): Promise<Registration[]> {
  const refused = (await checkContracts(client, selection)).filter(
    (report) => report.status === "incompatible",
  );
  if (refused.length > 0) throw new ContractCheckFailedError(refused);

  const registrations: Registration[] = [];
  for (const { subject, schema } of contractSubjects(selection)) {
    await client.setCompatibility(subject, REQUIRED_COMPATIBILITY);
    const text = schemaText(schema);
    const id = await client.register(subject, text);
    const registered = await client.lookup(subject, text);
    if (registered === undefined) {
      throw new RegistryError(
        `look up ${subject}`,
        404,
        undefined,
        `schema id ${id} was registered but is not found`,
      );
    }
    registrations.push({ subject, id, version: registered.version });
  }
  return registrations;
}

/** Why avsc cannot resolve one way or the other: the FULL compatibility question, answered locally. */
function resolutionProblems(local: avro.Type, registered: avro.Type): string[] {
  const problems: string[] = [];
  for (const [reader, writer, direction] of [
    [local, registered, "this schema cannot read data written with it"],
    [registered, local, "readers of it cannot read data written with this schema"],
  ] as const) {
    try {
      reader.createResolver(writer);
    } catch (error) {
      problems.push(`${direction} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return problems;
}

function droppedEnumSymbols(local: avro.Type, registered: avro.Type): string[] {
  const localEnums = enumsByName(local);
  const problems: string[] = [];
  for (const [name, registeredSymbols] of enumsByName(registered)) {
    const localSymbols = localEnums.get(name);
    if (localSymbols === undefined) continue;
    const dropped = registeredSymbols.filter((symbol) => !localSymbols.includes(symbol));
    if (dropped.length > 0) {
      problems.push(
        `enum ${name} drops ${dropped.join(", ")}: events carrying ${dropped.length === 1 ? "it" : "them"} would read as the default`,
      );
    }
  }
  return problems;
}

function enumsByName(type: avro.Type): Map<string, readonly string[]> {
  const registry: Record<string, avro.Type> = {};
  avro.Type.forSchema(type.schema() as avro.Schema, { registry });
  const enums = new Map<string, readonly string[]>();
  for (const [name, named] of Object.entries(registry)) {
    if (named instanceof avro.types.EnumType) enums.set(name, named.symbols);
  }
  return enums;
}
