import { ConfigError, createLogger, runUntilSignalled } from "@stocksaga/platform";
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

await runUntilSignalled({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: (fatal) => startOrderService(config, logger, fatal),
});
