import { randomUUID } from "node:crypto";
import { ChangeFeed, ChangeNotifier } from "@stocksaga/messaging";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_CHANGED_CHANNEL } from "./database.js";
import { freshOrderDatabase } from "./testing/fresh-database.js";

const silent = pino({ level: "silent" });

describe("order change notifications on PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof freshOrderDatabase>>;
  let feed: ChangeFeed;

  beforeAll(async () => {
    database = await freshOrderDatabase();
    feed = new ChangeFeed(database.pool, ORDER_CHANGED_CHANNEL, silent);
    await feed.start();
  });
  afterAll(async () => {
    await feed?.stop();
    await database?.close();
  });

  it("wakes the subscribers of every announced order, in notifications PostgreSQL accepts", async () => {
    const orderIds = Array.from({ length: 600 }, () => randomUUID());
    const woken = new Set<string>();
    const all = new Promise<void>((resolve) => {
      for (const orderId of orderIds)
        feed.subscribe(orderId, () => {
          woken.add(orderId);
          if (woken.size === orderIds.length) resolve();
        });
    });
    const untouched = randomUUID();
    let wrongly = 0;
    feed.subscribe(untouched, () => wrongly++);

    const notifier = new ChangeNotifier(database.pool, ORDER_CHANGED_CHANNEL, silent);
    notifier.announce(orderIds);
    await notifier.settled();
    await all;

    expect([...woken].sort()).toEqual([...orderIds].sort());
    expect(wrongly).toBe(0);
  });
});
