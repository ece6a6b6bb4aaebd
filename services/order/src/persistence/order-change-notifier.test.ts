import { randomUUID } from "node:crypto";
import type { Queryable } from "@stocksaga/messaging";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_CHANGED_CHANNEL } from "./database.js";
import {
  MAX_NOTIFY_PAYLOAD_BYTES,
  notificationPayloads,
  OrderChangeNotifier,
} from "./order-change-notifier.js";
import { freshOrderDatabase } from "./testing/fresh-database.js";

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());
const silent = { warn: () => undefined };

describe("notificationPayloads", () => {
  it("joins ids with commas, in payloads that stay under the limit and never cut an id", () => {
    const orderIds = ids(1_000);
    const payloads = notificationPayloads(orderIds);

    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads)
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTIFY_PAYLOAD_BYTES);
    expect(payloads.flatMap((payload) => payload.split(","))).toEqual(orderIds);
  });

  it("gives one payload for a few ids, and none for none", () => {
    const orderIds = ids(3);
    expect(notificationPayloads(orderIds)).toEqual([orderIds.join(",")]);
    expect(notificationPayloads([])).toEqual([]);
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

describe("OrderChangeNotifier", () => {
  it("sends at once when idle, and sends what was announced meanwhile together in the next notification", async () => {
    const { db, sent, finish } = gatedDatabase();
    const notifier = new OrderChangeNotifier(db, silent);

    notifier.announce(["a"]);
    expect(sent).toEqual([[ORDER_CHANGED_CHANNEL, ["a"]]]);
    notifier.announce(["b", "c"]);
    notifier.announce(["c", "d"]);
    expect(sent).toHaveLength(1);
    await finish();
    expect(sent[1]).toEqual([ORDER_CHANGED_CHANNEL, ["b,c,d"]]);
    await finish();
    await notifier.settled();
    expect(sent).toHaveLength(2);
  });

  it("logs a notification that failed instead of throwing, and keeps sending later ones", async () => {
    const { db, sent, finish } = gatedDatabase();
    const warnings: string[] = [];
    const notifier = new OrderChangeNotifier(db, {
      warn: (_context: unknown, message: string) => warnings.push(message),
    } as never);

    notifier.announce(["a"]);
    await finish(new Error("connection reset"));
    await notifier.settled();
    expect(warnings).toEqual(["could not announce order changes"]);

    notifier.announce(["b"]);
    expect(sent[1]).toEqual([ORDER_CHANGED_CHANNEL, ["b"]]);
    await finish();
    await notifier.settled();
  });

  it("sends nothing for no ids", async () => {
    const { db, sent } = gatedDatabase();
    new OrderChangeNotifier(db, silent).announce([]);
    expect(sent).toEqual([]);
  });
});

describe("OrderChangeNotifier on PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof freshOrderDatabase>>;
  let listener: pg.PoolClient;

  beforeAll(async () => {
    database = await freshOrderDatabase();
    listener = await database.pool.connect();
    await listener.query("LISTEN order_changed");
  });
  afterAll(async () => {
    listener?.release();
    await database?.close();
  });

  it("delivers every announced id to a listener, in notifications PostgreSQL accepts", async () => {
    const orderIds = ids(600);
    const received: string[] = [];
    const all = new Promise<void>((resolve) => {
      listener.on("notification", (message) => {
        received.push(...(message.payload ?? "").split(","));
        if (received.length >= orderIds.length) resolve();
      });
    });

    const notifier = new OrderChangeNotifier(database.pool, silent);
    notifier.announce(orderIds);
    await notifier.settled();
    await all;

    expect(received.sort()).toEqual([...orderIds].sort());
  });
});
