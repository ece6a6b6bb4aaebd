import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger.js";
import { startTelemetry, tracingActive } from "./telemetry.js";
import { tracer } from "./tracing.js";

const loaded = vi.hoisted(() => new Set<string>());
vi.mock("@opentelemetry/sdk-trace-node", async (original) => {
  loaded.add("sdk-trace-node");
  return original();
});
vi.mock("@opentelemetry/exporter-trace-otlp-proto", async (original) => {
  loaded.add("exporter-trace-otlp-proto");
  return original();
});
vi.mock("@opentelemetry/exporter-trace-otlp-http", async (original) => {
  loaded.add("exporter-trace-otlp-http");
  return original();
});

interface Export {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP receiver: it keeps every export and answers 200. */
async function receiver() {
  const exports: Export[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      exports.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200, { "content-type": request.headers["content-type"] ?? "application/json" });
      response.end(request.headers["content-type"] === "application/json" ? "{}" : "");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, exports, close: () => server.close() };
}

const quiet = createLogger("test", "silent", new Writable({ write: (_c, _e, done) => done() }));

describe("telemetry", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    loaded.clear();
  });

  it("starts nothing and loads none of the SDK without an OTLP endpoint", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "");
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "");
    expect(await startTelemetry({ serviceName: "order-service", logger: quiet })).toBeUndefined();
    expect(tracingActive()).toBe(false);
    expect([...loaded]).toEqual([]);
    const span = tracer().startSpan("work");
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it.each([
    ["http/protobuf", "application/x-protobuf", "exporter-trace-otlp-proto"],
    ["http/json", "application/json", "exporter-trace-otlp-http"],
  ])("exports spans over OTLP %s, flushed by shutdown", async (protocol, contentType, exporter) => {
    const otlp = await receiver();
    try {
      vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.url);
      vi.stubEnv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol);
      vi.stubEnv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=unit-test");
      const telemetry = await startTelemetry({ serviceName: "order-service", logger: quiet });
      expect(telemetry?.protocol).toBe(protocol);
      expect(tracingActive()).toBe(true);
      // Only the exporter of the protocol asked for (modules load once: the SDK counts the first time).
      expect(loaded.has(exporter)).toBe(true);
      expect([...loaded].filter((name) => name.startsWith("exporter-"))).toEqual([exporter]);

      const span = tracer().startSpan(`probe-span-${protocol}`);
      expect(span.isRecording()).toBe(true);
      span.end();
      // The batch processor holds the span for seconds; shutdown must export it now.
      await telemetry?.shutdown();
      expect(tracingActive()).toBe(false);

      expect(otlp.exports.map((e) => [e.path, e.headers["content-type"]])).toEqual([
        ["/v1/traces", contentType],
      ]);
      const body = otlp.exports[0]?.body ?? Buffer.alloc(0);
      // Protobuf keeps strings as UTF-8 bytes: the span's name and the resource are in the body.
      for (const text of [`probe-span-${protocol}`, "order-service", "unit-test"]) {
        expect(body.includes(Buffer.from(text)), `${text} exported`).toBe(true);
      }
      if (protocol === "http/json") {
        const sent = JSON.parse(body.toString()) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[];
        };
        const attributes = sent.resourceSpans[0]?.resource.attributes ?? [];
        expect(attributes.find((a) => a.key === "service.name")?.value.stringValue).toBe("order-service");
      }
    } finally {
      otlp.close();
    }
  });

  it("takes OTEL_SERVICE_NAME over the service's default name", async () => {
    const otlp = await receiver();
    try {
      vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.url);
      vi.stubEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
      vi.stubEnv("OTEL_SERVICE_NAME", "orders-eu");
      const telemetry = await startTelemetry({ serviceName: "order-service", logger: quiet });
      tracer().startSpan("named").end();
      await telemetry?.shutdown();
      const body = otlp.exports[0]?.body.toString() ?? "";
      expect(body).toContain('"orders-eu"');
      expect(body).not.toContain('"order-service"');
    } finally {
      otlp.close();
    }
  });

  it("refuses a protocol it does not bundle", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1");
    vi.stubEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    await expect(startTelemetry({ serviceName: "order-service", logger: quiet })).rejects.toThrow(/grpc/);
  });
});
