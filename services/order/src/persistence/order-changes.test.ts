import { EventEmitter } from "node:events";
import type pg from "pg";
import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import { OrderChangeFeed } from "./order-changes.js";

/** A pooled client that, like pg's, refuses to be released twice; `onQuery` decides each answer. */
class FakeClient extends EventEmitter {
  readonly releases: (Error | boolean | undefined)[] = [];

  constructor(private readonly onQuery: (client: FakeClient, sql: string) => Promise<unknown>) {
    super();
  }

  query(sql: string): Promise<unknown> {
    return this.onQuery(this, sql);
  }

  release(error?: Error | boolean): void {
    if (this.releases.length > 0) {
      throw new Error("Release called on client which has already been released to the pool.");
    }
    this.releases.push(error);
  }
}

function feedOn(client: FakeClient): OrderChangeFeed {
  const pool = { connect: async () => client } as unknown as pg.Pool;
  const logger = { warn: () => undefined } as unknown as Logger;
  return new OrderChangeFeed(pool, logger);
}

describe("OrderChangeFeed.stop", () => {
  it("gives the connection back once when it fails while stopping (its error handler released it already)", async () => {
    const client = new FakeClient(async (self, sql) => {
      if (sql.startsWith("UNLISTEN")) {
        self.emit("error", new Error("Connection terminated unexpectedly"));
        throw new Error("Connection terminated unexpectedly");
      }
      return { rows: [] };
    });
    const feed = feedOn(client);
    await feed.start();

    await expect(feed.stop()).resolves.toBeUndefined();
    expect(client.releases).toHaveLength(1);
    expect(client.releases[0]).toBeInstanceOf(Error);
    expect(feed.listening).toBe(false);
  });

  it("gives a healthy connection back for reuse", async () => {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    await feed.start();
    expect(feed.listening).toBe(true);

    await feed.stop();
    expect(client.releases).toEqual([undefined]);
  });

  it("gives back a connection that arrives after the feed stopped, instead of listening on it", async () => {
    const client = new FakeClient(async () => ({ rows: [] }));
    let handOut: (client: FakeClient) => void = () => undefined;
    const pool = {
      connect: () =>
        new Promise<FakeClient>((resolve) => {
          handOut = resolve;
        }),
    } as unknown as pg.Pool;
    const feed = new OrderChangeFeed(pool, { warn: () => undefined } as unknown as Logger);
    const starting = feed.start();

    await feed.stop();
    handOut(client);
    await starting;
    expect(client.releases).toEqual([undefined]);
    expect(feed.listening).toBe(false);
  });

  it("does not hand back a connection that could not UNLISTEN", async () => {
    const client = new FakeClient(async (_self, sql) => {
      if (sql.startsWith("UNLISTEN")) throw new Error("canceling statement due to statement timeout");
      return { rows: [] };
    });
    const feed = feedOn(client);
    await feed.start();

    await feed.stop();
    expect(client.releases).toEqual([true]);
  });
});

describe("OrderChangeFeed.subscribe", () => {
  const A = "0b5c2a1e-7d3f-4c55-9a0e-6f1d2b3c4d5e";
  const B = "5b0e6c1e-8f4a-4c3b-9d2e-1a7f3c5e9b80";
  const C = "9d1f3e2a-6b4c-4a8d-8e7f-0c1b2a3d4e5f";

  async function listening() {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    const woken: string[] = [];
    for (const orderId of [A, B, C]) feed.subscribe(orderId, () => woken.push(orderId));
    await feed.start();
    woken.length = 0; // the start announces every order once
    const notify = (payload: string) => client.emit("notification", { channel: "order_changed", payload });
    return { feed, woken, notify };
  }

  it("wakes the subscribers of each order a comma-separated payload names, and no other", async () => {
    const { woken, notify } = await listening();
    notify(`${A},${C}`);
    expect(woken.sort()).toEqual([A, C].sort());
  });

  it("wakes every subscriber for '*'", async () => {
    const { woken, notify } = await listening();
    notify("*");
    expect(woken.sort()).toEqual([A, B, C].sort());
  });

  it("stops waking a subscriber once it unsubscribed, and keeps the others", async () => {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    const woken: string[] = [];
    const first = feed.subscribe(A, () => woken.push("first"));
    feed.subscribe(A, () => woken.push("second"));
    await feed.start();
    woken.length = 0;

    first();
    client.emit("notification", { channel: "order_changed", payload: A });
    expect(woken).toEqual(["second"]);
  });
});
