import { readFileSync } from "node:fs";
import { AvroSchemaParser } from "@asyncapi/avro-schema-parser";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import { TOPIC_SPECS } from "@stocksaga/contracts/topics";
import { describe, expect, it } from "vitest";

const document = readFileSync(new URL("../../docs/asyncapi.json", import.meta.url), "utf8");

/** The AsyncAPI parser with the Avro payloads our catalog declares (`application/vnd.apache.avro+json`). */
function parser(): Parser {
  const asyncApi = new Parser();
  asyncApi.registerSchemaParser(AvroSchemaParser());
  return asyncApi;
}

const errorsOf = (diagnostics: readonly { severity: DiagnosticSeverity; message: string }[]) =>
  diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => d.message);

describe("docs/asyncapi.json", () => {
  it("is a valid AsyncAPI document, Avro payloads included, with a channel per topic", async () => {
    const { document: parsed, diagnostics } = await parser().parse(document);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(parsed).toBeDefined();
    const channels =
      parsed
        ?.channels()
        .all()
        .map((channel) => channel.address()) ?? [];
    for (const topic of Object.keys(TOPIC_SPECS)) expect(channels).toContain(topic);
    expect(parsed?.messages().all().length).toBeGreaterThanOrEqual(13);
  });

  it("would be refused with a payload that is not Avro", async () => {
    const broken = JSON.parse(document) as {
      components: { messages: Record<string, { payload: { schema: unknown } }> };
    };
    const [first] = Object.values(broken.components.messages);
    if (!first) throw new Error("the catalog has no messages");
    first.payload.schema = { type: "record", name: "Broken", fields: [{ name: "x", type: "no-such-type" }] };
    const { diagnostics } = await parser().parse(JSON.stringify(broken));
    expect(errorsOf(diagnostics).length).toBeGreaterThan(0);
  });
});
