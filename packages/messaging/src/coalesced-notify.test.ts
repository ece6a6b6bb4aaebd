import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CoalescedNotify } from "./coalesced-notify.js";
import type { Queryable } from "./sql.js";

const silent = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));

/** A database whose every statement waits until the test answers it. */
function heldDatabase() {
  const statements: { text: string; values: unknown[] | undefined; answer: (error?: Error) => void }[] = [];
  const db = {
    query: (text: string, values?: unknown[]) =>
      new Promise((resolve, reject) => {
        statements.push({
          text,
          values,
          answer: (error) => (error ? reject(error) : resolve({ rows: [] })),
        });
      }),
  } as unknown as Queryable;
  return { db, statements };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("CoalescedNotify", () => {
  it("keeps one notification in flight and sends one more for all the calls made meanwhile", async () => {
    const { db, statements } = heldDatabase();
    const notify = new CoalescedNotify({
      db,
      channel: "order_outbox",
      payload: "instance-1",
      logger: silent,
    });

    notify.send();
    notify.send();
    notify.send();
    notify.send();
    await settle();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      text: "select pg_notify($1, $2)",
      values: ["order_outbox", "instance-1"],
    });

    statements[0]?.answer();
    await settle();
    expect(statements).toHaveLength(2);
    statements[1]?.answer();
    await notify.settled();
    expect(statements).toHaveLength(2);

    notify.send();
    await settle();
    expect(statements).toHaveLength(3);
    statements[2]?.answer();
    await notify.settled();
  });

  it("goes on after a failed notification (the leader polls meanwhile)", async () => {
    const { db, statements } = heldDatabase();
    const notify = new CoalescedNotify({ db, channel: "c", payload: "p", logger: silent });
    notify.send();
    notify.send();
    await settle();
    statements[0]?.answer(new Error("connection terminated"));
    await settle();
    expect(statements).toHaveLength(2);
    statements[1]?.answer();
    await notify.settled();
    notify.send();
    await settle();
    expect(statements).toHaveLength(3);
    statements[2]?.answer();
    await notify.settled();
  });
});
