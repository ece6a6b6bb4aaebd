import type { Change } from "@stocksaga/messaging";
import { createLogger, issueToken } from "@stocksaga/platform";
import { beforeEach, describe, expect, it } from "vitest";
import { changedSkus } from "../application/changed-products.js";
import { InventoryApplication } from "../application/inventory.js";
import { route } from "../application/testing.js";
import { InMemoryInventoryStore } from "../persistence/in-memory-inventory-store.js";
import { createInventoryHttpApp } from "./app.js";
import type { ProductChanges } from "./product-stream.js";

const SECRET = "component-test-secret-of-at-least-32-chars";

/** A change feed fed by hand: what the application committed, or a keep-alive on demand. */
class ManualChanges implements ProductChanges {
  private readonly waiting: ((change: Change) => void)[] = [];
  private readonly queued: Change[] = [];
  watching = 0;

  push(change: Change): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(change);
    else this.queued.push(change);
  }

  watch(): AsyncIterableIterator<Change> {
    this.watching += 1;
    const iterator: AsyncIterableIterator<Change> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        const ready = this.queued.shift();
        if (ready) return { done: false, value: ready };
        return { done: false, value: await new Promise<Change>((resolve) => this.waiting.push(resolve)) };
      },
      return: async () => {
        this.watching -= 1;
        return { done: true, value: undefined };
      },
    };
    return iterator;
  }
}

async function* events(response: Response) {
  const reader = response.body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const lines = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
        const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
        yield { event: event ?? (lines[0]?.startsWith(":") ? "comment" : "message"), data };
      }
    }
  } finally {
    await reader.cancel();
  }
}

let store: InMemoryInventoryStore;
let changes: ManualChanges;
/** Off: commits are not announced, as when a notification is lost. */
let announcing: boolean;
let inventory: InventoryApplication;
let app: ReturnType<typeof createInventoryHttpApp>;

beforeEach(async () => {
  store = new InMemoryInventoryStore();
  changes = new ManualChanges();
  announcing = true;
  inventory = new InventoryApplication({
    store,
    route,
    onCommitted: (decided) => {
      if (announcing) changes.push({ kind: "changed", keys: changedSkus(decided) });
    },
  });
  await inventory.createProduct({ sku: "MUG", name: "Mug", onHand: 4, traceparent: null });
  await inventory.createProduct({ sku: "TEE", name: "Tee", onHand: 1, traceparent: null });
  // The creations above are history for the stream: start it with an empty feed.
  changes = new ManualChanges();
  app = createInventoryHttpApp({
    store,
    inventory,
    changes,
    jwtSecret: SECRET,
    logger: createLogger("inventory-test", "silent"),
    readiness: [],
  });
});

const open = async () =>
  app.request("/products/stream", {
    headers: { authorization: `Bearer ${await issueToken(SECRET, { sub: "someone" })}` },
  });

describe("GET /products/stream", () => {
  it("needs a token", async () => {
    expect((await app.request("/products/stream")).status).toBe(401);
  });

  it("sends a snapshot of every product, then the product a committed change altered", async () => {
    const response = await open();
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const stream = events(response);
    const snapshot = (await stream.next()).value;
    expect(snapshot?.event).toBe("snapshot");
    expect(JSON.parse(snapshot?.data ?? "").items.map((p: { sku: string }) => p.sku)).toEqual(["MUG", "TEE"]);

    await inventory.adjustStock({ sku: "TEE", delta: 2, reason: "found", actor: "a", traceparent: null });
    const product = (await stream.next()).value;
    expect(product?.event).toBe("product");
    expect(JSON.parse(product?.data ?? "")).toMatchObject({ sku: "TEE", onHand: 3, available: 3 });
    await stream.return(undefined);
  });

  it("re-reads the catalogue at a keep-alive and sends only what differs from what it sent", async () => {
    const stream = events(await open());
    await stream.next();
    announcing = false;
    await inventory.adjustStock({ sku: "MUG", delta: -1, reason: "broken", actor: "a", traceparent: null });
    await inventory.createProduct({ sku: "CAP", name: "Cap", onHand: 2, traceparent: null });
    changes.push({ kind: "keep-alive" });
    expect((await stream.next()).value?.event).toBe("comment");
    const found = [(await stream.next()).value, (await stream.next()).value].map((e) =>
      JSON.parse(e?.data ?? ""),
    );
    expect(found.map((p) => [p.sku, p.available])).toEqual([
      ["CAP", 2],
      ["MUG", 3],
    ]);

    announcing = true;
    changes.push({ kind: "changed", keys: new Set(["MUG", "CAP"]) });
    await inventory.adjustStock({ sku: "TEE", delta: 1, reason: "found", actor: "a", traceparent: null });
    expect(JSON.parse((await stream.next()).value?.data ?? "")).toMatchObject({ sku: "TEE", available: 2 });
    // Nothing differs from what was sent: the next keep-alive is only a comment.
    changes.push({ kind: "everything" });
    changes.push({ kind: "keep-alive" });
    expect((await stream.next()).value?.event).toBe("comment");
    expect(changes.watching).toBe(1);
    await stream.return(undefined);
  });
});
