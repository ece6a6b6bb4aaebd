import { defineConfig } from "vitest/config";

/** Resolve workspace packages to their TypeScript sources, as tsc does through `customConditions`. */
export const sharedConfig = defineConfig({
  resolve: { conditions: ["source", "module", "node", "default"] },
  ssr: { resolve: { conditions: ["source", "module", "node", "default"] } },
  test: { environment: "node" },
});
