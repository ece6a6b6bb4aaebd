import { context, DiagLogLevel, diag, propagation, trace } from "@opentelemetry/api";
import type { Logger } from "pino";

/** A started OpenTelemetry SDK: `shutdown` exports the spans still buffered, then stops it. */
export interface Telemetry {
  protocol: OtlpProtocol;
  shutdown: () => Promise<void>;
}

export type OtlpProtocol = "http/protobuf" | "http/json";

type Env = Record<string, string | undefined>;

let active = false;

/**
 * Whether this process records spans (`startTelemetry` started the SDK). Code on the hot path
 * that would do work only for spans (decoding headers, one span per message) asks this first,
 * so that tracing off costs nothing.
 */
export function tracingActive(): boolean {
  return active;
}

function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Whether traces are exported: an OTLP endpoint is configured (the general or the traces one) and
 * the SDK is not disabled. Without one, nothing of the SDK is even loaded.
 */
export function telemetryEnabled(env: Env = process.env): boolean {
  if (setting(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") return false;
  if (setting(env, "OTEL_TRACES_EXPORTER")?.toLowerCase() === "none") return false;
  return (
    setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") !== undefined ||
    setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined
  );
}

/** The OTLP encoding: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else protobuf. */
export function otlpProtocol(env: Env = process.env): OtlpProtocol {
  const protocol =
    setting(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ??
    setting(env, "OTEL_EXPORTER_OTLP_PROTOCOL") ??
    "http/protobuf";
  if (protocol === "http/protobuf" || protocol === "http/json") return protocol;
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json`);
}

/**
 * Starts the OpenTelemetry trace SDK when `telemetryEnabled`, and registers it globally (tracer
 * provider, W3C propagator, AsyncLocalStorage context): spans go through a batch processor to an
 * OTLP/HTTP exporter. The SDK reads the standard variables itself: the endpoints and headers,
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (over `serviceName`, the default),
 * `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*`. Returns undefined, having loaded nothing, otherwise.
 */
export async function startTelemetry(options: {
  serviceName: string;
  logger: Logger;
  env?: Env;
}): Promise<Telemetry | undefined> {
  const env = options.env ?? process.env;
  if (!telemetryEnabled(env)) return undefined;
  const protocol = otlpProtocol(env);
  const [{ BatchSpanProcessor, NodeTracerProvider }, resources, exporters] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/resources"),
    protocol === "http/json"
      ? import("@opentelemetry/exporter-trace-otlp-http")
      : import("@opentelemetry/exporter-trace-otlp-proto"),
  ]);
  const logger = options.logger.child({ component: "telemetry" });
  // Export failures would otherwise go unseen: the SDK reports them through `diag`.
  diag.setLogger(
    {
      error: (message, ...args) => logger.warn({ args }, message),
      warn: (message, ...args) => logger.warn({ args }, message),
      info: (message, ...args) => logger.debug({ args }, message),
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ "service.name": options.serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new exporters.OTLPTraceExporter())],
  });
  provider.register();
  active = true;
  logger.info({ protocol }, "exporting traces over OTLP");
  return {
    protocol,
    shutdown: async () => {
      active = false;
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn({ err: error }, "could not export the last spans");
      }
      // Back to the no-op API, so that another start (a test's) can register again.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
