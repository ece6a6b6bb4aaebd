import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type pg from "pg";
import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import { ChangeFeed, ChangeNotifier, changePayloads, MAX_CHANGE_PAYLOAD_BYTES } from "./change-feed.js";
import type { Queryable } from "./sql.js";

const CHANNEL = "thing_changed";

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());
const silent = { warn: () => undefined };

describe("changePayloads", () => {
  it("joins keys with commas, in payloads that stay under the limit and never cut a key", () => {
    const keys = ids(1_000);
    const payloads = changePayloads(keys);

    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads)
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_CHANGE_PAYLOAD_BYTES);
    expect(payloads.flatMap((payload) => payload.split(","))).toEqual(keys);
  });

  it("gives one payload for a few keys, and none for none", () => {
    const keys = ids(3);
    expect(changePayloads(keys)).toEqual([keys.join(",")]);
    expect(changePayloads([])).toEqual([]);
  });
});

/** A database whose queries wait until the test lets each one finish. */
function gatedDatabase() {
  const sent: unknown[][] = [];
  const gates: ((error?: Error) => void)[] = [];
  const db: Queryable = {
    query: (async (_text: string, values?: unknown[]): Promise<unknown> => {
      sent.push(values ?? []);
      await new Promise<void>((resolve, reject) =>
        gates.push((error) => (error ? reject(error) : resolve())),
      );
      return { rows: [] };
    }) as unknown as Queryable["query"],
  };
  const finish = async (error?: Error) => {
    gates.shift()?.(error);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { db, sent, finish };
}

describe("ChangeNotifier", () => {
  it("sends at once when idle, and sends what was announced meanwhile together in the next notification", async () => {
    const { db, sent, finish } = gatedDatabase();
    const notifier = new ChangeNotifier(db, CHANNEL, silent);

    notifier.announce(["a"]);
    expect(sent).toEqual([[CHANNEL, ["a"]]]);
    notifier.announce(["b", "c"]);
    notifier.announce(["c", "d"]);
    expect(sent).toHaveLength(1);
    await finish();
    expect(sent[1]).toEqual([CHANNEL, ["b,c,d"]]);
    await finish();
    await notifier.settled();
    expect(sent).toHaveLength(2);
  });

  it("logs a notification that failed instead of throwing, and keeps sending later ones", async () => {
    const { db, sent, finish } = gatedDatabase();
    const warnings: string[] = [];
    const notifier = new ChangeNotifier(db, CHANNEL, {
      warn: (_context: unknown, message: string) => warnings.push(message),
    } as never);

    notifier.announce(["a"]);
    await finish(new Error("connection reset"));
    await notifier.settled();
    expect(warnings).toEqual(["could not announce changes"]);

    notifier.announce(["b"]);
    expect(sent[1]).toEqual([CHANNEL, ["b"]]);
    await finish();
    await notifier.settled();
  });

  it("sends nothing for no keys", async () => {
    const { db, sent } = gatedDatabase();
    new ChangeNotifier(db, CHANNEL, silent).announce([]);
    expect(sent).toEqual([]);
  });
});

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

function feedOn(client: FakeClient): ChangeFeed {
  const pool = { connect: async () => client } as unknown as pg.Pool;
  const logger = { warn: () => undefined } as unknown as Logger;
  return new ChangeFeed(pool, CHANNEL, logger);
}

describe("ChangeFeed.stop", () => {
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
    const feed = new ChangeFeed(pool, CHANNEL, { warn: () => undefined } as unknown as Logger);
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

describe("ChangeFeed.subscribe", () => {
  const A = "0b5c2a1e-7d3f-4c55-9a0e-6f1d2b3c4d5e";
  const B = "5b0e6c1e-8f4a-4c3b-9d2e-1a7f3c5e9b80";
  const C = "9d1f3e2a-6b4c-4a8d-8e7f-0c1b2a3d4e5f";

  async function listening() {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    const woken: string[] = [];
    for (const key of [A, B, C]) feed.subscribe(key, () => woken.push(key));
    await feed.start();
    woken.length = 0; // the start announces that anything may have changed
    const notify = (payload: string) => client.emit("notification", { channel: CHANNEL, payload });
    return { feed, woken, notify };
  }

  it("wakes the subscribers of each key a comma-separated payload names, and no other", async () => {
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
    client.emit("notification", { channel: CHANNEL, payload: A });
    expect(woken).toEqual(["second"]);
  });
});

describe("ChangeFeed.watch and onClose", () => {
  it("merges what arrived while the watcher was busy into one change, and says 'everything' after a reconnect", async () => {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    await feed.start();
    const changes = feed.watch({ keepAliveMs: 60_000 });
    const notify = (payload: string) => client.emit("notification", { channel: CHANNEL, payload });

    notify("a,b");
    notify("b,c");
    expect(await changes.next()).toEqual({
      done: false,
      value: { kind: "changed", keys: new Set(["a", "b", "c"]) },
    });
    notify("a");
    notify("*");
    expect(await changes.next()).toEqual({ done: false, value: { kind: "everything" } });
    await changes.return?.();
    await feed.stop();
  });

  it("sends a keep-alive after a quiet while, and ends every watcher and onClose listener when it stops", async () => {
    const client = new FakeClient(async () => ({ rows: [] }));
    const feed = feedOn(client);
    await feed.start();
    const changes = feed.watch({ keepAliveMs: 20 });
    expect(await changes.next()).toEqual({ done: false, value: { kind: "keep-alive" } });
    let closed = 0;
    feed.onClose(() => closed++);
    const waiting = changes.next();
    await feed.stop();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(closed).toBe(1);
    feed.onClose(() => closed++);
    expect(closed).toBe(2);
  });
});
