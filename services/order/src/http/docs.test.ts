import type { ChangeFeed } from "@stocksaga/messaging";
import { createLogger, type Serving, serve } from "@stocksaga/platform";
import { isLocal, launchChromium, visit } from "@stocksaga/platform/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderApplication } from "../application/orders.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { createOrderHttpApp } from "./app.js";

const SECRET = "docs-test-secret-of-at-least-32-characters";

describe("GET /docs in Chromium", () => {
  let serving: Serving;
  let browser: Browser;

  beforeAll(async () => {
    const store = new InMemoryOrderStore();
    const app = createOrderHttpApp({
      store,
      orders: new OrderApplication({
        store,
        decisionTimeoutMs: 30_000,
        route: () => ({ topic: "t", key: "k" }),
      }),
      changes: {} as ChangeFeed,
      jwtSecret: SECRET,
      logger: createLogger("order-docs", "silent"),
      readiness: [],
    });
    serving = await serve(app, "127.0.0.1", 0);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await serving?.close();
  });

  it("renders every operation of /openapi.json from assets served here, asking nothing of another host", async () => {
    const base = `http://127.0.0.1:${serving.port}`;
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );

    const page = await visit(browser, `${base}/docs`, ".opblock-summary", operations.length);

    expect(page.requested.filter((url) => !isLocal(url))).toEqual([]);
    expect(page.failed).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.requested).toEqual(
      expect.arrayContaining([
        `${base}/docs/swagger-ui-bundle.js`,
        `${base}/docs/swagger-ui.css`,
        `${base}/openapi.json`,
      ]),
    );
    // Swagger UI breaks long paths with zero-width spaces.
    const rendered = page.texts.map((text) => text.replaceAll("\u200b", "").replace(/\s+/g, " "));
    for (const operation of operations) {
      const [method, path] = operation.split(" ") as [string, string];
      expect(
        rendered.some((text) => text.startsWith(`${method} ${path}`)),
        `${operation} among ${JSON.stringify(rendered)}`,
      ).toBe(true);
    }
  }, 60_000);
});
