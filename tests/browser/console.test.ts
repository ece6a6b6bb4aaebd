import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { ensureConsoleBuilt } from "@stocksaga/console/build";
import { type ConsoleServer, startConsoleServer } from "@stocksaga/console/server";
import { issueToken } from "@stocksaga/platform";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, eventually, uniqueSku } from "../support/api.js";
import { testKafka } from "../support/kafka.js";
import { TestSystem } from "../support/system.js";
import { craftToken } from "../support/tokens.js";
import { launchBrowser, WatchedPage } from "./browser.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Playwright's waits poll the page; they end on progress, this only bounds them. */
const LIVE = { timeout: 60_000 };

// Bounds only: every wait ends on progress. Two cores shared by several stacks can make a step slow.
describe("the web console in a browser, on the real stack", { timeout: 150_000 }, () => {
  let system: TestSystem;
  let web: ConsoleServer;
  let browser: Browser;
  let admin: ApiClient;
  const opened: WatchedPage[] = [];

  async function signedIn(subject: string, options: { admin?: boolean; width?: number } = {}) {
    const token = await issueToken(inject("jwtSecret"), {
      sub: subject,
      ...(options.admin ? { roles: ["admin"] } : {}),
    });
    const watched = await WatchedPage.open(browser, { width: options.width ?? 1100, height: 900 });
    opened.push(watched);
    await watched.page.goto(`${web.url}/#token=${token}`);
    await watched.page.getByRole("button", { name: "Sign out" }).waitFor(LIVE);
    return watched;
  }

  beforeAll(async () => {
    await ensureConsoleBuilt();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    system = await TestSystem.start({ order: { CORS_ORIGINS: origin }, inventory: { CORS_ORIGINS: origin } });
    web = await startConsoleServer({
      port,
      orderServiceUrl: system.url("order"),
      inventoryServiceUrl: system.url("inventory"),
    });
    browser = await launchBrowser();
    admin = system.client("stock-admin", { admin: true });
  });

  afterEach(async (context) => {
    const pages = opened.splice(0);
    for (const [index, watched] of pages.entries()) {
      const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
      await watched.screenshot(index === 0 ? name : `${name}-${index + 1}`);
      await watched.close();
      expect(watched.offMachine, "requests to hosts off this machine").toEqual([]);
      expect(watched.errors, "errors logged by the page").toEqual([]);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await system?.stop();
  });

  it("a customer places a multi-line order and watches it become final, with the saga drawn", async () => {
    const mug = uniqueSku("MUG");
    const tee = uniqueSku("TEE");
    await admin.createProduct(mug, 5);
    await admin.createProduct(tee, 2);
    const { page } = await signedIn(`carol-${randomUUID().slice(0, 8)}`);

    await page.locator(`[data-sku="${mug}"][data-available="5"]`).waitFor(LIVE);
    await page.getByRole("button", { name: `Add ${mug} to the cart` }).click();
    await page.getByRole("button", { name: `Add ${tee} to the cart` }).click();
    await page.getByLabel(new RegExp(`${tee}.*quantity`)).fill("3");
    await page.getByLabel(new RegExp(`${mug}.*quantity`)).fill("2");
    await page.getByRole("radio", { name: /PARTIAL: take/ }).check();
    // Marks this document: a reload or a navigation to another page would lose it.
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await page.getByRole("button", { name: "Place order" }).click();

    const order = page.locator("article.order[data-order-id]");
    await order.waitFor(LIVE);
    const orderId = await order.getAttribute("data-order-id");
    expect(page.url()).toContain(`#/orders/${orderId}`);
    await page.locator(`article.order[data-order-id="${orderId}"][data-status="ADJUSTED"]`).waitFor(LIVE);
    expect(
      await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);

    const confirmed = page.locator("table.lines tbody tr");
    await expect
      .poll(async () => confirmed.evaluateAll((rows) => rows.map((r) => r.textContent)), LIVE)
      .toEqual([
        expect.stringMatching(new RegExp(`^${mug}22RESERVED`)),
        expect.stringMatching(new RegExp(`^${tee}32PARTIAL`)),
      ]);

    const steps = page.locator("svg.sequence g[data-event-type]");
    await page.locator('svg.sequence g[data-event-type="OrderAdjusted"]').waitFor(LIVE);
    const types = await steps.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-event-type")));
    expect(types[0]).toBe("OrderRequested");
    const answer = types.findIndex((t) => t === "StockRequestAnswered" || t === "StockReserved");
    expect(answer).toBeGreaterThan(0);
    expect(types.indexOf("OrderAdjusted")).toBeGreaterThan(answer);
    expect(await steps.locator(".step-time").count()).toBe(types.length);
    expect(
      await page.locator('svg.sequence g[data-event-type="OrderAdjusted"] .step-delta').textContent(),
    ).toMatch(/^\+\d/);
    await expect.poll(() => page.locator(`[data-order-id="${orderId}"]`).count()).toBeGreaterThan(0);
  });

  it("an ALL_OR_NOTHING shortfall shows the rejection and the release that compensates it", async () => {
    const plenty = uniqueSku("PLENTY");
    const scarce = uniqueSku("SCARCE");
    await admin.createProduct(plenty, 5);
    await admin.createProduct(scarce, 1);
    const { page } = await signedIn(`dave-${randomUUID().slice(0, 8)}`, { width: 390 });

    await page.locator(`[data-sku="${scarce}"][data-available="1"]`).waitFor(LIVE);
    await page.getByLabel("Add a SKU by name").fill(plenty);
    await page.getByRole("button", { name: "Add SKU" }).click();
    await page.getByRole("button", { name: `Add ${scarce} to the cart` }).click();
    await page.getByLabel(new RegExp(`${plenty}.*quantity`)).fill("2");
    await page.getByLabel(new RegExp(`${scarce}.*quantity`)).fill("3");
    await page.getByRole("radio", { name: /ALL_OR_NOTHING: the whole/ }).check();
    await page.getByRole("button", { name: "Place order" }).click();

    const rejected = page.locator('article.order[data-status="REJECTED"]');
    await rejected.waitFor(LIVE);
    await expect
      .poll(() => rejected.locator(".reason").textContent(), LIVE)
      .toContain("SHORTFALL_NOT_ALLOWED");
    const release = page.locator('svg.sequence g[data-event-type="StockReleased"][data-compensation="true"]');
    await release.waitFor(LIVE);
    expect(await release.textContent()).toContain("compensation");
    // What the compensation gave back is on the shelf again.
    await page.getByRole("link", { name: "Shop" }).click();
    await page.locator(`[data-sku="${plenty}"][data-available="5"]`).waitFor(LIVE);
    // Back to the order for the screenshot: the rejection and its compensation.
    await page.goBack();
    await release.waitFor(LIVE);
  });

  it("an admin adjusts stock and a customer's open page shows the new count live", async () => {
    const sku = uniqueSku("LAMP");
    await admin.createProduct(sku, 4);
    const customer = await signedIn(`erin-${randomUUID().slice(0, 8)}`);
    await customer.page.locator(`[data-sku="${sku}"][data-available="4"]`).waitFor(LIVE);

    const operator = await signedIn("stock-admin", { admin: true });
    await operator.page.getByRole("link", { name: "Products" }).click();
    await operator.page.getByRole("button", { name: `Adjust stock of ${sku}` }).click();
    await operator.page.getByLabel(/^Change/).fill("7");
    await operator.page.getByLabel("Reason").fill("delivery from the supplier");
    await operator.page.getByRole("button", { name: "Apply adjustment" }).click();

    await customer.page.locator(`[data-sku="${sku}"][data-available="11"]`).waitFor(LIVE);
    await operator.page.locator(`[data-sku="${sku}"][data-available="11"]`).waitFor(LIVE);
  });

  it("an admin replays a dead letter, and a second replay only when forced", async () => {
    // Bytes no Avro reader takes, on a topic the order service consumes: it sets them aside.
    const key = randomUUID();
    const poison = Buffer.from(`not avro: browser test ${key}`);
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: "reservation-events", messages: [{ key, value: poison }] });
    await producer.disconnect();
    const letter = await eventually("the poison message dead-lettered", async () => {
      const reply = await admin.request<{ items: { id: string; key: string | null }[] }>(
        "order",
        "GET",
        "/admin/dead-letters?limit=50",
      );
      return reply.body.items?.find((item) => item.key === key);
    });

    const operator = await signedIn("stock-admin", { admin: true });
    operator.expectRefusal(409, /^\/admin\/dead-letters\/[^/]+\/replay$/);
    const { page } = operator;
    await page.getByRole("link", { name: "Dead letters" }).click();
    const shown = page.locator(`[data-service="order"] [data-dead-letter-id="${letter.id}"]`);
    await shown.waitFor(LIVE);
    expect(await shown.getAttribute("data-replays")).toBe("0");
    await shown.getByText(/^Payload/).click();
    expect(await shown.locator("pre.hex").textContent()).toContain(
      poison.subarray(0, 8).toString("hex").replace(/(..)/g, "$1 ").trim(),
    );

    await shown.getByRole("button", { name: "Replay", exact: true }).click();
    const confirm = page.getByRole("dialog");
    await confirm.getByRole("button", { name: "Keep it" }).click();
    expect(await shown.getAttribute("data-replays")).toBe("0");
    await shown.getByRole("button", { name: "Replay", exact: true }).click();
    await confirm.getByRole("button", { name: "Replay", exact: true }).click();
    await page.locator(`[data-dead-letter-id="${letter.id}"][data-replays="1"]`).waitFor(LIVE);
    await expect.poll(() => shown.getByRole("status").textContent(), LIVE).toContain("Replayed to");

    await shown.getByRole("button", { name: "Replay", exact: true }).click();
    await confirm.getByRole("button", { name: "Replay", exact: true }).click();
    await expect.poll(() => shown.getByRole("alert").textContent(), LIVE).toMatch(/replayed/i);
    expect(await shown.getAttribute("data-replays")).toBe("1");
    await shown.getByRole("button", { name: "Force another replay" }).click();
    await confirm.getByRole("button", { name: "Force replay" }).click();
    await page.locator(`[data-dead-letter-id="${letter.id}"][data-replays="2"]`).waitFor(LIVE);
    await expect.poll(() => shown.getByRole("status").textContent(), LIVE).toContain("(forced)");
  });

  it("explains an expired token and a token the services refuse", async () => {
    const secret = inject("jwtSecret");
    const now = Math.floor(Date.now() / 1000);
    const expired = craftToken(
      { alg: "HS256", typ: "JWT" },
      { sub: "frank", iat: now - 7200, exp: now - 60 },
      { secret },
    );
    const watched = await WatchedPage.open(browser);
    opened.push(watched);
    const { page } = watched;
    await page.goto(`${web.url}/#token=${expired}`);
    await expect.poll(() => page.getByRole("alert").textContent(), LIVE).toContain("expired");
    expect(page.url()).not.toContain(expired);

    const forged = craftToken(
      { alg: "HS256", typ: "JWT" },
      { sub: "frank", iat: now, exp: now + 600 },
      { secret: `${secret}-not-it` },
    );
    watched.expectRefusal(401, /^\/orders$/);
    await page.getByLabel("Bearer token").fill(forged);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), LIVE).toContain("refused this token");
  });
});
