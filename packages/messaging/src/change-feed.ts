import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import type { Queryable } from "./sql.js";

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
export const MAX_CHANGE_PAYLOAD_BYTES = 7_900;

/** What a payload of "*" means, and what a feed announces after it (re)connects: anything may have changed. */
export const EVERYTHING_CHANGED = "*";

/** Several notifications in one statement (and one transaction of its own). */
export const NOTIFY_CHANGES = "select pg_notify($1::text, p) from unnest($2::text[]) as p";

/** The keys joined by ",", cut into payloads of at most `maxBytes` bytes each (keys hold no ","). */
export function changePayloads(
  keys: Iterable<string>,
  maxBytes: number = MAX_CHANGE_PAYLOAD_BYTES,
): string[] {
  const payloads: string[] = [];
  let current = "";
  for (const key of keys) {
    const next = current === "" ? key : `${current},${key}`;
    if (Buffer.byteLength(next) <= maxBytes || current === "") {
      current = next;
    } else {
      payloads.push(current);
      current = key;
    }
  }
  if (current !== "") payloads.push(current);
  return payloads;
}

/**
 * Tells every instance which keys (SKUs, order ids) changed, once their transaction has committed:
 * a notifying transaction holds a cluster-wide lock from its commit until its flush, so business
 * transactions send none. Keys announced while a notification is on its way go together in the
 * next one. A failed notification is logged and dropped: listeners re-read on their keep-alive.
 */
export class ChangeNotifier {
  private readonly pending = new Set<string>();
  private sending: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly db: Queryable,
    private readonly channel: string,
    private readonly logger: Pick<Logger, "warn">,
  ) {}

  /** Never waits and never throws: the caller's transaction has committed whatever happens here. */
  announce(keys: Iterable<string>): void {
    for (const key of keys) this.pending.add(key);
    if (this.pending.size > 0 && !this.running) {
      this.running = true;
      this.sending = this.send();
    }
  }

  /** Resolves once everything announced so far has been sent (or given up). */
  async settled(): Promise<void> {
    while (this.running) await this.sending;
  }

  private async send(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const payloads = changePayloads(this.pending);
        this.pending.clear();
        try {
          await this.db.query(NOTIFY_CHANGES, [this.channel, payloads]);
        } catch (error) {
          this.logger.warn({ err: error, channel: this.channel }, "could not announce changes");
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** What a watcher learns: these keys changed, anything may have, or nothing did for a keep-alive. */
export type Change =
  | { kind: "changed"; keys: ReadonlySet<string> }
  | { kind: "everything" }
  | { kind: "keep-alive" };

/**
 * Changes announced by any instance's ChangeNotifier on `channel`, heard on one LISTEN connection
 * of `pool`, handed to every watcher (all changes, `watch`) and subscriber (one key's, `subscribe`).
 * A lost connection is re-established and then announced as "everything", since changes made
 * meanwhile were not heard.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  /** Key → the subscriptions to it: a change wakes its key's subscribers only, never a scan of all. */
  private readonly subscribers = new Map<string, Set<() => void>>();
  private listener: { client: pg.PoolClient; release: (error?: Error | true) => void } | undefined;
  private stopped = false;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
    this.emitter.setMaxListeners(0);
    this.emitter.on("change", (keys: readonly string[]) => this.wake(keys));
  }

  private wake(keys: readonly string[]): void {
    const woken = keys.includes(EVERYTHING_CHANGED)
      ? [...this.subscribers.values()]
      : [...new Set(keys)].flatMap((key) => {
          const subscribers = this.subscribers.get(key);
          return subscribers ? [subscribers] : [];
        });
    for (const subscribers of woken) for (const subscriber of [...subscribers]) subscriber();
  }

  /** Calls `listener` whenever `key` (or possibly anything) changed; returns the unsubscribe. */
  subscribe(key: string, listener: () => void): () => void {
    // A function of its own per subscription, so that subscribing one function twice counts twice.
    const subscription = () => listener();
    const subscribers = this.subscribers.get(key) ?? new Set();
    subscribers.add(subscription);
    this.subscribers.set(key, subscribers);
    return () => {
      subscribers.delete(subscription);
      if (subscribers.size === 0 && this.subscribers.get(key) === subscribers) this.subscribers.delete(key);
    };
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

  async start(): Promise<void> {
    this.stopped = false;
    this.closed = false;
    await this.connect();
  }

  get listening(): boolean {
    return this.listener !== undefined;
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
      if (message.payload) this.emitter.emit("change", message.payload.split(","));
    });
    client.on("error", (error) => {
      this.logger.warn(
        { err: error, channel: this.channel },
        "change feed lost its connection; reconnecting",
      );
      release(error);
      if (this.listener?.client === client) this.listener = undefined;
      void this.reconnect();
    });
    try {
      await client.query(`LISTEN ${this.channel}`);
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
    this.emitter.emit("change", [EVERYTHING_CHANGED]);
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.stopped && !this.listener; attempt++) {
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      await this.connect().catch((error: unknown) =>
        this.logger.warn({ err: error, channel: this.channel }, "change feed reconnect failed"),
      );
    }
  }

  /**
   * The changes from now on, as they come: what arrived while the caller was busy comes as one
   * merged change; `keep-alive` after `keepAliveMs` without any. Ends when `signal` aborts or the
   * feed stops. Subscribed on the call, before the first `next()`, so nothing committed after the
   * call is missed by a caller that reads its snapshot afterwards.
   */
  watch(options: { keepAliveMs: number; signal?: AbortSignal }): AsyncIterableIterator<Change> {
    const keys = new Set<string>();
    let everything = false;
    let ended = this.closed || options.signal?.aborted === true;
    let wake: (() => void) | undefined;
    const onChange = (changed: readonly string[]) => {
      if (changed.includes(EVERYTHING_CHANGED)) everything = true;
      else for (const key of changed) keys.add(key);
      wake?.();
    };
    const end = () => {
      ended = true;
      wake?.();
    };
    this.emitter.on("change", onChange);
    this.emitter.once("close", end);
    options.signal?.addEventListener("abort", end, { once: true });
    const unsubscribe = () => {
      this.emitter.off("change", onChange);
      this.emitter.off("close", end);
      options.signal?.removeEventListener("abort", end);
    };

    const take = (): Change | undefined => {
      if (everything) {
        everything = false;
        keys.clear();
        return { kind: "everything" };
      }
      if (keys.size === 0) return undefined;
      const taken = new Set(keys);
      keys.clear();
      return { kind: "changed", keys: taken };
    };

    const iterator: AsyncIterableIterator<Change> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        if (ended) {
          unsubscribe();
          return { done: true, value: undefined };
        }
        const ready = take();
        if (ready) return { done: false, value: ready };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.keepAliveMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (ended) {
          unsubscribe();
          return { done: true, value: undefined };
        }
        return { done: false, value: take() ?? { kind: "keep-alive" } };
      },
      return: async () => {
        ended = true;
        unsubscribe();
        return { done: true, value: undefined };
      },
    };
    return iterator;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      // The connection may fail meanwhile: its error handler has released it then, and releasing
      // a client twice throws. A client that could not UNLISTEN is not handed back for reuse.
      const unlistened = await listener.client.query(`UNLISTEN ${this.channel}`).then(
        () => true,
        () => false,
      );
      listener.release(unlistened ? undefined : true);
    }
    this.closed = true;
    this.emitter.emit("close");
  }
}
