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
  /** Refusals a test provokes on purpose: Chromium logs every 4xx answer as a console error. */
  private readonly expected: { status: number; path: RegExp }[] = [];

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
      if (message.type() !== "error") return;
      const text = message.text();
      const refused = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
      const url = message.location().url;
      if (refused && watched.isExpected(Number(refused[1]), url)) return;
      watched.errors.push(`console: ${text}${url ? ` (${url})` : ""}`);
    });
    page.on("pageerror", (error) => watched.errors.push(`page: ${error.message}`));
    return watched;
  }

  /** Allows the console error Chromium logs when a request to `path` is answered `status`. */
  expectRefusal(status: number, path: RegExp): void {
    this.expected.push({ status, path });
  }

  private isExpected(status: number, url: string): boolean {
    if (!url) return false;
    const { pathname } = new URL(url);
    return this.expected.some((e) => e.status === status && e.path.test(pathname));
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
