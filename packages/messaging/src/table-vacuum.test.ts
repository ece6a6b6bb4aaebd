import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Queryable } from "./sql.js";
import { DEAD_ROWS, TableVacuum } from "./table-vacuum.js";

const silent = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));

function recordingDatabase(fail = () => false) {
  const statements: string[] = [];
  let finish: (() => void) | undefined;
  const db = {
    query: (text: string) => {
      statements.push(text);
      return new Promise((resolve, reject) => {
        finish = () => (fail() ? reject(new Error("could not vacuum")) : resolve({ rows: [] }));
      });
    },
  } as unknown as Queryable;
  return { db, statements, finish: () => finish?.() };
}

describe("TableVacuum", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("vacuums on its timer once enough rows were deleted, never two at once", async () => {
    vi.useFakeTimers();
    const { db, statements, finish } = recordingDatabase();
    const vacuum = new TableVacuum({ db, logger: silent, afterRows: 100, intervalMs: 5_000 });
    vacuum.start();

    vacuum.deleted("outbox", 60);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statements).toEqual([]);

    vacuum.deleted("outbox", 40);
    expect(statements).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statements).toEqual(["vacuum (analyze) outbox"]);

    vacuum.deleted("outbox", 500);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(statements).toHaveLength(1);
    finish();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statements).toHaveLength(2);
    finish();
    await vacuum.stop();
  });

  it("counts the rows of a failed vacuum towards the next one", async () => {
    vi.useFakeTimers();
    let failing = true;
    const { db, statements, finish } = recordingDatabase(() => failing);
    const vacuum = new TableVacuum({ db, logger: silent, afterRows: 100, intervalMs: 1_000 });
    vacuum.start();
    vacuum.deleted("outbox", 100);
    await vi.advanceTimersByTimeAsync(1_000);
    finish();
    failing = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(statements).toHaveLength(2);
    finish();
    await vacuum.stop();
  });

  it("never vacuums when told to after 0 rows", async () => {
    vi.useFakeTimers();
    const { db, statements } = recordingDatabase();
    const vacuum = new TableVacuum({ db, logger: silent, afterRows: 0, intervalMs: 1_000 });
    vacuum.start();
    vacuum.deleted("outbox", 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(statements).toEqual([]);
    await vacuum.stop();
  });

  it("vacuums each table once its own deletions pass the mark, one table at a time", async () => {
    vi.useFakeTimers();
    const { db, statements, finish } = recordingDatabase();
    const vacuum = new TableVacuum({ db, logger: silent, afterRows: 100, intervalMs: 1_000 });
    vacuum.start();
    vacuum.deleted("inbox", 150);
    vacuum.deleted("order_timeline", 99);
    vacuum.deleted("orders", 100);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(statements).toEqual(["vacuum (analyze) inbox"]);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(statements).toEqual(["vacuum (analyze) inbox", "vacuum (analyze) orders"]);
    finish();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(statements).toHaveLength(2);
    vacuum.deleted("order_timeline", 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(statements.at(-1)).toBe("vacuum (analyze) order_timeline");
    finish();
    await vacuum.stop();
  });

  it("refuses a table name that is not a plain identifier", () => {
    const { db } = recordingDatabase();
    const vacuum = new TableVacuum({ db, logger: silent, afterRows: 1, intervalMs: 1_000 });
    expect(() => vacuum.deleted("orders; drop table orders", 1)).toThrow(/not a table name/);
  });

  it("vacuums a watched table once PostgreSQL counts enough dead rows in it, though nothing was deleted", async () => {
    vi.useFakeTimers();
    const dead = new Map([
      ["orders", 40],
      ["products", 0],
    ]);
    const statements: string[] = [];
    const asked: unknown[] = [];
    const db = {
      query: async (text: string, values?: unknown[]) => {
        statements.push(text);
        if (text !== DEAD_ROWS) return { rows: [] };
        asked.push(values?.[0]);
        return { rows: [...dead].map(([table, rows]) => ({ table, dead: rows })) };
      },
    } as unknown as Queryable;
    const vacuum = new TableVacuum({
      db,
      logger: silent,
      afterRows: 100,
      intervalMs: 1_000,
      watch: ["orders", "products"],
    });
    vacuum.start();

    await vi.advanceTimersByTimeAsync(1_000);
    expect(statements.filter((text) => text !== DEAD_ROWS)).toEqual([]);
    expect(asked).toEqual([["orders", "products"]]);
    dead.set("orders", 130);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(statements.filter((text) => text !== DEAD_ROWS)).toEqual(["vacuum (analyze) orders"]);
    await vacuum.stop();
  });

  it("refuses a watched table name that is not a plain identifier", () => {
    const { db } = recordingDatabase();
    expect(
      () => new TableVacuum({ db, logger: silent, afterRows: 1, intervalMs: 1_000, watch: ["orders;--"] }),
    ).toThrow(/not a table name/);
  });
});
