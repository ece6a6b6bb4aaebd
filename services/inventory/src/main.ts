import { ConfigError, createLogger, runUntilSignalled } from "@stocksaga/platform";
import { loadInventoryConfig } from "./config.js";
import { startInventoryService } from "./service.js";

function configOrExit() {
  try {
    return loadInventoryConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`inventory-service: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

const config = configOrExit();
const logger = createLogger("inventory-service", config.LOG_LEVEL);

await runUntilSignalled({
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: (fatal) => startInventoryService(config, logger, fatal),
});
