import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium, with the flags that keep it off the (closed) network: see ENVIRONMENT.md. */
export const CHROMIUM = process.env.STOCKSAGA_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Where each test leaves its screenshot (ignored by git). */
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A browser page that records what a person would not want: a request to any host off this
 * machine (refused, so nothing leaves) and any error the page logs or throws.
 */
export class WatchedPage {
  readonly offMachine: string[] = [];
  readonly errors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, viewport = { width: 1100, height: 900 }): Promise<WatchedPage> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const watched = new WatchedPage(context, page);
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "data:" || LOOPBACK.has(url.hostname)) return route.continue();
      watched.offMachine.push(url.href);
      return route.abort("blockedbyclient");
    });
    page.on("console", (message) => {
      if (message.type() === "error") watched.errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => watched.errors.push(`page: ${error.message}`));
    return watched;
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
