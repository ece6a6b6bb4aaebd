import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, type OrderView, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

type LogLine = Record<string, unknown> & { msg?: string };

const logFile = (service: "order" | "inventory") => join(settings.stackDir, "test-logs", `${service}.log`);

async function linesAfter(service: "order" | "inventory", offset: number): Promise<LogLine[]> {
  const text = (await readFile(logFile(service))).subarray(offset).toString();
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

async function sizeOf(service: "order" | "inventory"): Promise<number> {
  return (await readFile(logFile(service))).length;
}

const ORDERS = 3;

describe("observability: at info, the saga's events write no log line", () => {
  let system: TestSystem;
  let alice: ApiClient;
  const orders: OrderView[] = [];
  const from = { order: 0, inventory: 0 };

  beforeAll(async () => {
    system = await TestSystem.start({ order: { LOG_LEVEL: "info" }, inventory: { LOG_LEVEL: "info" } });
    const admin = system.client("stock-admin", { admin: true });
    alice = system.client(`alice-${randomUUID()}`);
    const sku = uniqueSku("LOG");
    await admin.createProduct(sku, 100);
    from.order = await sizeOf("order");
    from.inventory = await sizeOf("inventory");
    for (let i = 0; i < ORDERS; i++) {
      const placed = await alice.request<OrderView>("order", "POST", "/orders", {
        items: [{ sku, quantity: 1 }],
      });
      expect(placed.status).toBe(202);
      orders.push(await alice.orderReaching(placed.body.orderId));
    }
    // The saga is over once the order service has applied the last event of each order.
    for (const order of orders) {
      await eventually(`StockCommitted applied for ${order.orderId}`, async () => {
        const reply = await alice.request<{ events: { type: string }[] }>(
          "order",
          "GET",
          `/orders/${order.orderId}/timeline`,
        );
        return reply.body.events.some((entry) => entry.type === "StockCommitted") ? true : undefined;
      });
    }
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("confirms every order", () => {
    expect(orders.map((order) => order.status)).toEqual(Array(ORDERS).fill("CONFIRMED"));
  });

  it("logs only the access line of each request: no line per event, batch or order", async () => {
    const orderLines = await linesAfter("order", from.order);
    const inventoryLines = await linesAfter("inventory", from.inventory);
    // Four events per order went through both services; none of them wrote a line.
    expect([...orderLines, ...inventoryLines].filter((line) => line.msg !== "request")).toEqual([]);
    // What the test asked: each placement, each read of the order and of its timeline.
    const placements = orderLines.filter((line) => line.method === "POST" && line.path === "/orders");
    expect(placements.map((line) => line.orderId).sort()).toEqual(
      orders.map((order) => order.orderId).sort(),
    );
    expect(inventoryLines).toEqual([]);
  });
});
