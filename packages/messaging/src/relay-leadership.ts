import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";

export interface RelayLeadershipOptions {
  pool: pg.Pool;
  /** The session advisory lock whose holder is the one relay of the database. */
  lockKey: number;
  /** LISTENed on while leading (a standby has nothing to do with a notification). */
  channel?: string;
  /** A notification arrived on `channel`, with its payload. */
  notified: (payload: string | undefined) => void;
  /** The connection ended or failed: leadership went with it. */
  lost: (error: Error) => void;
  logger: Logger;
}

/** One connection of the relay's: its session, the backend that serves it, and whether it leads. */
interface Session {
  client: pg.PoolClient;
  pid: number;
  leading: boolean;
  broken: Error | undefined;
  /** The blocking lock request in flight, while this session waits as a standby. */
  waiting: Promise<unknown> | undefined;
}

/** Asking the server to cancel a wait may land before the wait itself: ask again, this often. */
const CANCEL_RETRY_MS = 100;
const CANCEL_ATTEMPTS = 30;

/**
 * Who publishes a database's outbox: the holder of a session advisory lock, taken on one dedicated
 * connection that the leader also drains on and LISTENs on. Holding the lock costs nothing per
 * drain (no transaction, no lock statement), and it is released by the server the moment that
 * connection ends, however it ends. A standby waits for the lock inside the server
 * (`pg_advisory_lock`), so it takes over as soon as the leader's session is gone, and costs no
 * statement while it waits.
 */
export class RelayLeadership {
  private session: Session | undefined;
  /** Set by `stopWaiting`: no new wait starts, so that stopping cannot race one. */
  private waitsAllowed = true;

  constructor(private readonly options: RelayLeadershipOptions) {}

  /** The connection to drain on, while this relay leads; undefined otherwise. */
  get connection(): pg.PoolClient | undefined {
    const session = this.session;
    return session?.leading && !session.broken ? session.client : undefined;
  }

  get leading(): boolean {
    return this.connection !== undefined;
  }

  /** Takes the lock if it is free, without waiting: whether this relay leads now. */
  async tryToLead(): Promise<boolean> {
    if (this.leading) return true;
    const session = await this.connected();
    const { rows } = await session.client.query<{ locked: boolean }>(
      "select pg_try_advisory_lock($1) as locked",
      [this.options.lockKey],
    );
    if (!rows[0]?.locked) return false;
    await this.becomeLeader(session);
    return true;
  }

  /**
   * Leads, waiting inside the server while another session holds the lock; `standing` is called
   * when the wait begins. Rejects when the connection fails, or when `stopWaiting` cancelled it.
   */
  async lead(standing: () => void): Promise<void> {
    if (await this.tryToLead()) return;
    const session = await this.connected();
    if (!this.waitsAllowed) throw new Error("the relay is stopping; not waiting for leadership");
    standing();
    const waiting = session.client.query("select pg_advisory_lock($1)", [this.options.lockKey]);
    session.waiting = waiting;
    try {
      await waiting;
    } finally {
      session.waiting = undefined;
    }
    await this.becomeLeader(session);
  }

  /** Cancels a standby's wait for the lock, and any later one: the relay is stopping. */
  async stopWaiting(): Promise<void> {
    this.waitsAllowed = false;
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const session = this.session;
      const waiting = session?.waiting;
      if (!session || !waiting) return;
      await this.options.pool
        .query("select pg_cancel_backend($1)", [session.pid])
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, "could not cancel the standby's wait"),
        );
      await Promise.race([waiting.catch(() => undefined), sleep(CANCEL_RETRY_MS)]);
    }
  }

  /**
   * Ends the session: the lock is released before this resolves (so a standby can take over at
   * once), and the connection is closed rather than pooled again, with its LISTEN and settings.
   */
  async resign(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    session.leading = false;
    session.client.removeAllListeners("notification");
    if (!session.broken) {
      // Closing the connection releases the lock too, but only once the server has seen it go.
      await session.client
        .query("select pg_advisory_unlock_all()")
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, "could not release the relay's lock"),
        );
    }
    session.client.release(session.broken ?? true);
  }

  /** Lets go of a broken session, whose lock the server released with its connection. */
  private discard(session: Session): void {
    if (this.session === session) this.session = undefined;
    session.client.removeAllListeners("notification");
    session.client.release(session.broken ?? true);
  }

  /** The session, opened anew when there is none or the last one broke. */
  private async connected(): Promise<Session> {
    if (this.session?.broken) this.discard(this.session);
    if (this.session) return this.session;
    const client = await this.options.pool.connect();
    const session: Session = { client, pid: 0, leading: false, broken: undefined, waiting: undefined };
    // A checked-out client's `error` event has no other listener: unheard, it would crash the process.
    client.on("error", (error) => this.broke(session, error));
    client.on("end", () => this.broke(session, new Error("the relay's connection ended")));
    client.on("notification", (message) => {
      if (session.leading) this.options.notified(message.payload);
    });
    try {
      // The drain reads the first rows in id order: an index scan whatever the statistics say
      // (autovacuum may be off, so they may describe an empty table while a backlog waits, and a
      // sequential scan would then read the whole backlog and its dead rows for every batch).
      const { rows } = await client.query<{ pid: number }>(
        "select pg_backend_pid() as pid, set_config('enable_seqscan', 'off', false)",
      );
      session.pid = rows[0]?.pid ?? 0;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    this.session = session;
    return session;
  }

  private async becomeLeader(session: Session): Promise<void> {
    const { channel } = this.options;
    // Rows committed before the LISTEN are found by the first drain, which follows it.
    if (channel) await session.client.query(`LISTEN "${channel.replaceAll('"', "")}"`);
    session.leading = true;
    this.options.logger.info({ pid: session.pid }, "leading the outbox relay");
  }

  private broke(session: Session, error: Error): void {
    if (session.broken) return;
    session.broken = error;
    const wasLeading = session.leading;
    session.leading = false;
    if (this.session !== session) return;
    if (wasLeading)
      this.options.logger.warn({ err: error }, "lost the outbox relay's connection and its leadership");
    this.options.lost(error);
  }
}
