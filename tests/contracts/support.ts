import { randomUUID } from "node:crypto";
import { DEFAULT_REGISTRY_URL, type RegistryClient, type TopicNaming } from "@stocksaga/contracts";
import { inject } from "vitest";

/** The registry under test: SCHEMA_REGISTRY_URL, else the one the global setup started. */
export function registryUrl(): string {
  const provided = inject("schemaRegistryUrl") as string | undefined;
  return process.env.SCHEMA_REGISTRY_URL ?? provided ?? DEFAULT_REGISTRY_URL;
}

/**
 * A topic prefix of its own per test run, so these tests never touch the real subjects
 * (`order-events-...`) nor collide with a concurrent run.
 */
export function uniqueNaming(label: string): TopicNaming {
  return { prefix: `contracts-test-${label}-${randomUUID().slice(0, 8)}-` };
}

/** Permanently deletes every subject a test run created under its prefix. */
export async function deleteSubjects(client: RegistryClient, naming: TopicNaming): Promise<void> {
  const prefix = naming.prefix;
  if (!prefix) return;
  const subjects = (await client.subjects()).filter((subject) => subject.startsWith(prefix));
  for (const subject of subjects) await client.deleteSubject(subject, { permanent: true });
}

export function frame(schemaId: number, avroBody: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, avroBody]);
}

export type FieldJson = { readonly name: string; readonly type: unknown; readonly [key: string]: unknown };

/** A copy of an event schema with its fields changed, as a later version of the .avsc would be. */
export function withFields<S extends { readonly fields: readonly unknown[] }>(
  schema: S,
  change: (fields: FieldJson[]) => FieldJson[],
): S {
  return { ...structuredClone(schema), fields: change(structuredClone(schema.fields) as FieldJson[]) };
}
