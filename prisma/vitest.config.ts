import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.js";

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ["**/*.test.ts"],
      exclude: ["node_modules/**"],
      // Every test works on a real PostgreSQL database and some run the Prisma CLI.
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
