import {
  checkContracts,
  checkSubject,
  EVENT_SCHEMAS,
  failuresOf,
  IncompatibleSchemaError,
  RegistryClient,
  ROUTED_EVENT_TYPES,
  registerContracts,
  schemaText,
  subjectFor,
} from "@stocksaga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteSubjects, registryUrl, uniqueNaming, withFields } from "./support.js";

const client = new RegistryClient(registryUrl());
const naming = uniqueNaming("governance");

describe("registering and checking the contracts against the real registry", () => {
  beforeAll(async () => {
    await registerContracts(client, { naming });
  });

  afterAll(async () => {
    await deleteSubjects(client, naming);
  });

  it("registers every subject FULL_TRANSITIVE, and registering again changes nothing", async () => {
    const again = await registerContracts(client, { naming });
    expect(again.map((registration) => registration.subject)).toEqual(
      ROUTED_EVENT_TYPES.map((eventType) => subjectFor(eventType, naming)),
    );
    for (const { subject, version } of again) {
      expect(version, subject).toBe(1);
      expect(await client.getCompatibility(subject), subject).toBe("FULL_TRANSITIVE");
      expect(await client.versions(subject), subject).toEqual([1]);
    }
  });

  it("finds this build's schemas compatible with what it registered", async () => {
    const reports = await checkContracts(client, { naming });
    expect(reports).toHaveLength(13);
    expect(failuresOf(reports)).toEqual([]);
    for (const report of reports) {
      expect(report.status, report.subject).toBe("compatible");
      expect(report.compatibility, report.subject).toBe("FULL_TRANSITIVE");
    }
  });

  describe("refuses incompatible changes, naming the subject and the reason", () => {
    it("a new field without a default", async () => {
      const subject = subjectFor("OrderRequested", naming);
      const changed = withFields(EVENT_SCHEMAS.OrderRequested.schema, (fields) => [
        ...fields,
        { name: "priority", type: "int", doc: "Handling priority." },
      ]);

      const report = await checkSubject(client, subject, changed);
      expect(report.status).toBe("incompatible");
      expect(report.problems.join("\n")).toContain(subject);
      expect(report.problems.join("\n")).toContain("the registry finds it incompatible");
      expect(report.problems.join("\n")).toMatch(/default-less stocksaga\.order\.OrderRequested\.priority/);

      const refusal = await client.register(subject, schemaText(changed)).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(IncompatibleSchemaError);
      expect((refusal as IncompatibleSchemaError).status).toBe(409);
      expect((refusal as Error).message).toContain(subject);
      expect((refusal as Error).message).toContain("priority");
    });

    it("a renamed field", async () => {
      const subject = subjectFor("OrderCancelled", naming);
      const changed = withFields(EVENT_SCHEMAS.OrderCancelled.schema, (fields) =>
        fields.map((field) =>
          field.name === "cancelledBy" ? { ...field, name: "cancelledByCustomer" } : field,
        ),
      );

      const report = await checkSubject(client, subject, changed);
      expect(report.status).toBe("incompatible");
      expect(report.problems.join("\n")).toContain(subject);
      expect(report.problems.join("\n")).toMatch(/cancelledByCustomer|cancelledBy/);

      const refusal = await client.register(subject, schemaText(changed)).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(IncompatibleSchemaError);
      expect((refusal as Error).message).toContain(subject);
    });

    it("a removed enum symbol: refused by the check, although Apicurio accepts it", async () => {
      // A subject of its own: this test registers the change to pin down what the registry does.
      const enumNaming = { prefix: `${naming.prefix}enum-` };
      await registerContracts(client, { naming: enumNaming, events: ["OrderRejected"] });
      const subject = subjectFor("OrderRejected", enumNaming);
      const changed = withFields(EVENT_SCHEMAS.OrderRejected.schema, (fields) =>
        fields.map((field) => {
          if (field.name !== "reason") return field;
          const reasons = field.type as { symbols: string[] };
          return {
            ...field,
            type: { ...reasons, symbols: reasons.symbols.filter((symbol) => symbol !== "TIMEOUT") },
          };
        }),
      );

      const report = await checkSubject(client, subject, changed);
      expect(report.status).toBe("incompatible");
      expect(report.problems).toEqual([
        `${subject} against version 1 (id ${(await client.schemaVersion(subject, 1)).id}): the registry accepts it; ` +
          "enum stocksaga.order.OrderRejectionReason drops TIMEOUT: events carrying it would read as the default",
      ]);

      // Avro resolves an unknown symbol to the enum's default, so Apicurio finds this FULL_TRANSITIVE compatible.
      expect((await client.testCompatibility(subject, schemaText(changed), 1)).compatible).toBe(true);
      await expect(client.register(subject, schemaText(changed))).resolves.toBeGreaterThan(0);
      expect(await client.versions(subject)).toEqual([1, 2]);
    });

    it("a change compatible with the latest version but not with an older one (transitive)", async () => {
      // v2 gives `cancelledBy` a default, so dropping the field suits v2 readers but not v1 readers, which
      // have no default for it. Apicurio's `latest` test misses that; the per-version check does not.
      const transitiveNaming = { prefix: `${naming.prefix}transitive-` };
      await registerContracts(client, { naming: transitiveNaming, events: ["OrderCancelled"] });
      const subject = subjectFor("OrderCancelled", transitiveNaming);
      const v2 = withFields(EVENT_SCHEMAS.OrderCancelled.schema, (fields) =>
        fields.map((field) => (field.name === "cancelledBy" ? { ...field, default: "unknown" } : field)),
      );
      await client.register(subject, schemaText(v2));
      const candidate = withFields(EVENT_SCHEMAS.OrderCancelled.schema, (fields) =>
        fields.filter((field) => field.name !== "cancelledBy"),
      );

      expect((await client.testCompatibility(subject, schemaText(candidate), "latest")).compatible).toBe(
        true,
      );
      expect((await client.testCompatibility(subject, schemaText(candidate), 1)).compatible).toBe(false);
      expect((await client.testCompatibilityWithSubject(subject, schemaText(candidate))).compatible).toBe(
        false,
      );

      const report = await checkSubject(client, subject, candidate);
      expect(report.status).toBe("incompatible");
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]).toContain(`${subject} against version 1`);
      expect(report.problems[0]).toContain("cancelledBy");
      await expect(client.register(subject, schemaText(candidate))).rejects.toBeInstanceOf(
        IncompatibleSchemaError,
      );
    });
  });

  it("accepts a compatible v2 (an optional field added) and registers it as version 2", async () => {
    const subject = subjectFor("StockReserved", naming);
    const v2 = withFields(EVENT_SCHEMAS.StockReserved.schema, (fields) => [
      ...fields,
      { name: "warehouse", type: ["null", "string"], default: null, doc: "Warehouse holding the units." },
    ]);
    const report = await checkSubject(client, subject, v2);
    expect(report).toMatchObject({ status: "compatible", problems: [], compatibilityProblem: undefined });

    const v1Id = (await client.schemaVersion(subject, 1)).id;
    const v2Id = await client.register(subject, schemaText(v2));
    expect(v2Id).not.toBe(v1Id);
    expect(await client.versions(subject)).toEqual([1, 2]);
    // This build's v1 schema stays compatible with the subject's whole history.
    expect((await checkSubject(client, subject, EVENT_SCHEMAS.StockReserved.schema)).status).toBe(
      "compatible",
    );
  });
});
