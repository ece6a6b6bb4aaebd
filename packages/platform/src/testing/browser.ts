import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium with the flags that keep it off the network on its own (see ENVIRONMENT.md). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** True for a URL a page may load without leaving the machine. */
export function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}

export interface PageVisit {
  /** Every URL the page asked for, in order. */
  requested: string[];
  /** Requests that failed, with why. */
  failed: string[];
  /** Errors thrown by the page's scripts. */
  pageErrors: string[];
  /** The texts of the elements matching `selector`, once at least `count` of them were rendered. */
  texts: string[];
}

/**
 * Opens `url` in a fresh context and waits until at least `count` elements match `selector`,
 * recording every request the page made on the way.
 */
export async function visit(
  browser: Browser,
  url: string,
  selector: string,
  count: number,
): Promise<PageVisit> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const visit: PageVisit = { requested: [], failed: [], pageErrors: [], texts: [] };
  page.on("request", (request) => visit.requested.push(request.url()));
  page.on("requestfailed", (request) =>
    visit.failed.push(`${request.url()}: ${request.failure()?.errorText}`),
  );
  page.on("pageerror", (error) => visit.pageErrors.push(error.message));
  try {
    await page.goto(url, { waitUntil: "load" });
    // A string, evaluated in the page: this package's TypeScript has no DOM types.
    await page.waitForFunction(`document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count}`);
    await page.waitForLoadState("networkidle");
    visit.texts = await page.locator(selector).allInnerTexts();
    return visit;
  } finally {
    await context.close();
  }
}
