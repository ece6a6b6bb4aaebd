import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Serving, serve } from "../server.js";
import { isLocal, launchChromium, visit } from "./browser.js";

/**
 * A service's `/docs` page loaded in Chromium as a person would: every operation of its
 * `/openapi.json` is rendered, from assets the service serves itself, with no request to any other
 * host, no failed request and no script error. `app` builds the service's HTTP app (any store).
 */
export function describeDocsPage(app: () => Parameters<typeof serve>[0]): void {
  describe("GET /docs in Chromium", () => {
    let serving: Serving;
    let browser: Browser;

    beforeAll(async () => {
      serving = await serve(app(), "127.0.0.1", 0);
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
}
