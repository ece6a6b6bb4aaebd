import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ["**/*.test.ts"],
      exclude: ["node_modules/**"],
      globalSetup: ["./setup/global.ts"],
      // Scenario tests share one broker, registry and database: run files one after another.
      fileParallelism: false,
      testTimeout: 60_000,
      hookTimeout: 180_000,
    },
  }),
);
