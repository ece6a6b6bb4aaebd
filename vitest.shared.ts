import { defineConfig } from "vitest/config";

/** Resolve workspace packages to their TypeScript sources, as tsc does through `customConditions`. */
const conditions = ["source", "node", "default"];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  // Global setup files run in Vitest's own environment, which does not inherit the two above.
  environments: { __vitest__: { resolve: { conditions } } },
  test: { environment: "node" },
});
