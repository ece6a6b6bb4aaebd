import { ConfigError, createLogger, runUntilSignalled, startTelemetry } from "@stocksaga/platform";
import { loadOrderConfig } from "./config.js";
import { startOrderService } from "./service.js";

function configOrExit() {
  try {
    return loadOrderConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`order-service: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

const config = configOrExit();
const logger = createLogger("order-service", config.LOG_LEVEL);
// Only with an OTLP endpoint configured; the SDK is not even loaded otherwise.
const telemetry = await startTelemetry({ serviceName: "order-service", logger });

await runUntilSignalled({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async (fatal) => {
    const service = await startOrderService(config, logger, fatal);
    return {
      stop: async () => {
        await service.stop();
        // The spans of the last requests and events, exported before the process exits.
        await telemetry?.shutdown();
      },
    };
  },
});
