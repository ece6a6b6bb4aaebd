import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import { ORDER_CHANGED_CHANNEL } from "./database.js";

/** Every order: what a payload of "*" means, and what the feed announces after it (re)connects. */
const EVERY_ORDER = "*";

/**
 * Order changes from every instance, through PostgreSQL NOTIFY (sent after the commit, see
 * OrderChangeNotifier: a payload is order ids joined by ","), so a live stream sees changes made
 * by whichever instance consumed the event.
 */
export class OrderChangeFeed {
  private readonly emitter = new EventEmitter();
  private readonly listeners = new Map<string, Set<() => void>>();
  /** The listening connection, and the one way to give it back (at most once, whoever comes first). */
  private listener: { client: pg.PoolClient; release: (error?: Error | true) => void } | undefined;
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
    const release = (error?: Error | true) => {
      if (released) return;
      released = true;
      client.release(error);
    };
    client.on("notification", (message) => {
      if (message.payload) this.changed(message.payload.split(","));
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "order change feed lost its connection; reconnecting");
      release(error);
      if (this.listener?.client === client) this.listener = undefined;
      void this.reconnect();
    });
    try {
      await client.query(`LISTEN ${ORDER_CHANGED_CHANNEL}`);
    } catch (error) {
      release(error instanceof Error ? error : true);
      throw error;
    }
    if (this.stopped) {
      // Stopped while this (re)connection was on its way: nobody will stop it again.
      release();
      return;
    }
    this.listener = { client, release };
    // Anything that changed while we were not listening is announced as a change of every order.
    this.changed([EVERY_ORDER]);
  }

  private changed(orderIds: readonly string[]): void {
    if (orderIds.includes(EVERY_ORDER)) {
      for (const listeners of [...this.listeners.values()]) for (const listener of [...listeners]) listener();
      return;
    }
    for (const orderId of new Set(orderIds)) {
      for (const listener of [...(this.listeners.get(orderId) ?? [])]) listener();
    }
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.stopped && !this.listener; attempt++) {
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      await this.connect().catch((error: unknown) =>
        this.logger.warn({ err: error }, "change feed reconnect failed"),
      );
    }
  }

  /** Calls `listener` whenever `orderId` (or possibly any order) changed; returns the unsubscribe. */
  subscribe(orderId: string, listener: () => void): () => void {
    // A listener of its own per subscription, so that subscribing one function twice counts twice.
    const subscription = () => listener();
    const listeners = this.listeners.get(orderId) ?? new Set();
    listeners.add(subscription);
    this.listeners.set(orderId, listeners);
    return () => {
      listeners.delete(subscription);
      if (listeners.size === 0 && this.listeners.get(orderId) === listeners) this.listeners.delete(orderId);
    };
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      // The connection may fail meanwhile: its error handler has released it then, and releasing
      // a client twice throws. A client that could not UNLISTEN is not handed back for reuse.
      const unlistened = await listener.client.query(`UNLISTEN ${ORDER_CHANGED_CHANNEL}`).then(
        () => true,
        () => false,
      );
      listener.release(unlistened ? undefined : true);
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
