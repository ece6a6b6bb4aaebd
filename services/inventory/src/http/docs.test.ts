import { createLogger } from "@stocksaga/platform";
import { describeDocsPage } from "@stocksaga/platform/testing";
import { InventoryApplication } from "../application/inventory.js";
import { route } from "../application/testing.js";
import { InMemoryInventoryStore } from "../persistence/in-memory-inventory-store.js";
import { createInventoryHttpApp } from "./app.js";

describeDocsPage(() => {
  const store = new InMemoryInventoryStore();
  return createInventoryHttpApp({
    store,
    inventory: new InventoryApplication({ store, route }),
    changes: { watch: async function* () {} },
    jwtSecret: "docs-test-secret-of-at-least-32-characters",
    logger: createLogger("inventory-docs", "silent"),
    readiness: [],
  });
});
