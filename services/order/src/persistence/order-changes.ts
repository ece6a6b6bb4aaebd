import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import { ORDER_CHANGED_CHANNEL } from "./database.js";

/**
 * Order changes from every instance, through PostgreSQL NOTIFY (sent by the committing
 * transaction), so a live stream sees changes made by whichever instance consumed the event.
 */
export class OrderChangeFeed {
  private readonly emitter = new EventEmitter();
  private client: pg.PoolClient | undefined;
  private stopped = false;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.closed = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = await this.pool.connect();
    let released = false;
    const release = (error: Error | true) => {
      if (released) return;
      released = true;
      client.release(error);
    };
    client.on("notification", (message) => {
      if (message.payload) this.emitter.emit("change", message.payload);
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "order change feed lost its connection; reconnecting");
      release(error);
      if (this.client === client) this.client = undefined;
      void this.reconnect();
    });
    try {
      await client.query(`LISTEN ${ORDER_CHANGED_CHANNEL}`);
    } catch (error) {
      release(error instanceof Error ? error : true);
      throw error;
    }
    this.client = client;
    // Anything that changed while we were not listening is announced as a change of every order.
    this.emitter.emit("change", "*");
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.stopped && !this.client; attempt++) {
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      await this.connect().catch((error: unknown) =>
        this.logger.warn({ err: error }, "change feed reconnect failed"),
      );
    }
  }

  /** Calls `listener` whenever `orderId` (or possibly any order) changed; returns the unsubscribe. */
  subscribe(orderId: string, listener: () => void): () => void {
    const handler = (changed: string) => {
      if (changed === orderId || changed === "*") listener();
    };
    this.emitter.on("change", handler);
    return () => this.emitter.off("change", handler);
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query(`UNLISTEN ${ORDER_CHANGED_CHANNEL}`).catch(() => undefined);
      client.release();
    }
    this.closed = true;
    this.emitter.emit("close");
  }

  /** Calls `listener` when the feed stops (at once if it already has): live streams end then. */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.emitter.once("close", listener);
    return () => this.emitter.off("close", listener);
  }
}
