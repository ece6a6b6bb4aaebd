import { randomUUID } from "node:crypto";
import { issueToken } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, type OrderView, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

/** Reads `event: order` messages from a Server-Sent Events response until `enough` says stop. */
async function readOrderEvents(
  response: Response,
  enough: (events: OrderView[]) => boolean,
): Promise<OrderView[]> {
  if (!response.body) throw new Error("no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events: OrderView[] = [];
  let buffer = "";
  while (!enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      if (lines.includes("event: order")) {
        const data = lines.find((line) => line.startsWith("data: "));
        if (data) events.push(JSON.parse(data.slice(6)) as OrderView);
      }
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

describe("live order status over Server-Sent Events", () => {
  let system: TestSystem;
  let admin: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("stock-admin", { admin: true });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("sends the current order first, then each change as it happens", async () => {
    const customer = `gina-${randomUUID()}`;
    const gina = system.client(customer);
    const sku = uniqueSku();
    await admin.createProduct(sku, 3);
    await system.stopService("inventory");
    const placed = await gina.placeOrder([{ sku, quantity: 1 }]);

    const token = await issueToken(inject("jwtSecret"), { sub: customer });
    const stream = await fetch(`${system.url("order")}/orders/${placed.body.orderId}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");

    const first = readOrderEvents(stream, (events) => events.some((e) => e.status !== "PENDING"));
    await system.startService("inventory");
    const events = await first;
    expect(events[0]?.status).toBe("PENDING");
    expect(events.at(-1)?.status).toBe("CONFIRMED");

    // Another customer cannot watch it.
    const other = await issueToken(inject("jwtSecret"), { sub: `not-${customer}` });
    const refused = await fetch(`${system.url("order")}/orders/${placed.body.orderId}/events`, {
      headers: { authorization: `Bearer ${other}` },
    });
    expect(refused.status).toBe(404);
    await refused.body?.cancel();
  });
});
