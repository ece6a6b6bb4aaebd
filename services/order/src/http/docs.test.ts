import type { ChangeFeed } from "@stocksaga/messaging";
import { createLogger } from "@stocksaga/platform";
import { describeDocsPage } from "@stocksaga/platform/testing";
import { OrderApplication } from "../application/orders.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { createOrderHttpApp } from "./app.js";

describeDocsPage(() => {
  const store = new InMemoryOrderStore();
  return createOrderHttpApp({
    store,
    orders: new OrderApplication({
      store,
      decisionTimeoutMs: 30_000,
      route: () => ({ topic: "t", key: "k" }),
    }),
    changes: {} as ChangeFeed,
    jwtSecret: "docs-test-secret-of-at-least-32-characters",
    logger: createLogger("order-docs", "silent"),
    readiness: [],
  });
});
