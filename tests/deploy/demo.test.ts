import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { settings } from "@stocksaga/deploy/stack";
import type { DeadLetterView } from "@stocksaga/messaging";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, eventually, type OrderView, type ProductView } from "../support/api.js";
import { TestSystem } from "../support/system.js";

const run = promisify(execFile);
const CONSOLE = "http://127.0.0.1:39999";
const OUTCOMES = [
  ["CONFIRMED", "CONFIRMED", null],
  ["ADJUSTED", "ADJUSTED", null],
  ["REJECTED (NO_STOCK)", "REJECTED", "NO_STOCK"],
  ["REJECTED (SHORTFALL_NOT_ALLOWED)", "REJECTED", "SHORTFALL_NOT_ALLOWED"],
  ["CANCELLED", "CANCELLED", null],
] as const;

describe("npm run demo", () => {
  let system: TestSystem;
  let admin: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("demo-checker", { admin: true });
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function demo(): Promise<string[]> {
    const { stdout } = await run("npm", ["run", "--silent", "demo"], {
      cwd: settings.repoRoot,
      env: {
        ...process.env,
        ORDER_SERVICE_URL: system.url("order"),
        INVENTORY_SERVICE_URL: system.url("inventory"),
        CONSOLE_PORT: "39999",
        AUTH_JWT_SECRET: inject("jwtSecret"),
        KAFKA_BROKERS: inject("kafkaBrokers"),
      },
      timeout: 120_000,
    });
    return stdout.trim().split("\n");
  }

  async function checkRun(lines: string[]) {
    for (const [label, status, reason] of OUTCOMES) {
      const line = lines.find((l) => l.startsWith(`${label} `));
      expect(line, `a line for ${label} in:\n${lines.join("\n")}`).toBeDefined();
      const [orderId, link] = (line ?? "").slice(label.length).trim().split(/\s+/);
      expect(link).toBe(`${CONSOLE}/#/orders/${orderId}`);
      const order = await admin.order(orderId ?? "");
      expect(order.status).toBe(200);
      expect((order.body as OrderView).status).toBe(status);
      if (reason) expect((order.body as OrderView & { reason: string | null }).reason).toBe(reason);
    }
    const poison = lines.find((l) => l.startsWith("dead letter:"));
    const key = /key (demo-poison-[0-9a-f-]+)/.exec(poison ?? "")?.[1];
    expect(key, lines.join("\n")).toBeDefined();
    const letter = await eventually(`the demo's dead letter ${key}`, async () => {
      const reply = await admin.request<{ items: DeadLetterView[] }>(
        "inventory",
        "GET",
        "/admin/dead-letters?limit=500",
      );
      return reply.body.items.find((item) => item.key === key);
    });
    expect(letter).toMatchObject({ origin: { topic: "order-events" }, payload: { decoded: false } });
    return lines;
  }

  it("seeds once, and gives every outcome on each run", async () => {
    const first = await checkRun(await demo());
    expect(first[0]).toMatch(/^catalogue: /);
    const before = await Promise.all(
      ["DEMO-MUG", "DEMO-TEE", "DEMO-CAP", "DEMO-POSTER"].map((sku) => admin.product(sku)),
    );

    const second = await checkRun(await demo());
    expect(second[0]).toBe("catalogue: already there, nothing created");
    // Nothing was reset: stock only moved by what the second run's orders took or restocked.
    const after = await Promise.all(
      ["DEMO-MUG", "DEMO-TEE", "DEMO-CAP", "DEMO-POSTER"].map((sku) => admin.product(sku)),
    );
    const mugs = (p: ProductView[]) => p[0]?.onHand ?? 0;
    expect(mugs(after)).toBeLessThan(mugs(before) + 3);
    expect(after[3]?.onHand).toBe(0);
    const orderIds = (lines: string[]) =>
      lines.map((l) => /\s([0-9a-f-]{36})\s/.exec(l)?.[1]).filter(Boolean);
    expect(new Set([...orderIds(first), ...orderIds(second)]).size).toBe(10);
  });
});
