import { EventEmitter } from "node:events";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { inTransaction } from "./sql.js";

/** A pooled client that records its statements and how it was given back. */
class FakeClient extends EventEmitter {
  readonly statements: string[] = [];
  released: { error: Error | boolean | undefined } | undefined;
  failFrom: string | undefined;

  async query(text: string): Promise<{ rows: never[] }> {
    this.statements.push(text);
    if (this.failFrom !== undefined && text === this.failFrom) throw new Error("Connection terminated");
    return { rows: [] };
  }

  release(error?: Error | boolean): void {
    this.released = { error };
  }
}

function poolOf(client: FakeClient): pg.Pool {
  return { connect: async () => client } as unknown as pg.Pool;
}

describe("inTransaction", () => {
  it("commits what the work did and gives the connection back", async () => {
    const client = new FakeClient();
    const answer = await inTransaction(poolOf(client), async (tx) => {
      await tx.query("select 1");
      return 42;
    });
    expect(answer).toBe(42);
    expect(client.statements).toEqual(["begin", "select 1", "commit"]);
    expect(client.released).toEqual({ error: undefined });
    expect(client.listenerCount("error")).toBe(0);
  });

  it("hears a connection lost between statements, fails the transaction, and discards the connection", async () => {
    const client = new FakeClient();
    const lost = new Error("read ECONNRESET");
    const outcome = inTransaction(poolOf(client), async (tx) => {
      await tx.query("select 1");
      // What pg does when the server ends the backend while no statement is running: an `error`
      // event on the client. Without a listener, it would be thrown as an uncaught exception.
      client.emit("error", lost);
      client.failFrom = "update";
      await tx.query("update");
    });
    client.failFrom = undefined;

    await expect(outcome).rejects.toThrow("Connection terminated");
    expect(client.released?.error).toBe(lost);
    expect(client.listenerCount("error")).toBe(0);
  });
});
