import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { Logger } from "pino";
import { publishDeadLetter } from "./dead-letters.js";
import { InvalidEventError, isDecodeFailure } from "./errors.js";
import { METADATA_MAX_AGE_MS } from "./kafka.js";

export interface ConsumedMessage<Event> {
  event: Event;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Readonly<Record<string, string>>;
}

/**
 * Applies several events of one partition, in offset order, durably and at once (one database
 * transaction): the outcome of each, in the same order — undefined when it was applied (or was a
 * duplicate), the InvalidEventError that refused it otherwise. Throws when nothing was applied.
 */
export type BatchHandler<Event> = (
  messages: readonly ConsumedMessage<Event>[],
) => Promise<readonly (InvalidEventError | undefined)[]>;

/** `eventType` is undefined when the bytes never decoded into an event. */
export interface SubscriptionHooks {
  handled?: (topic: string, eventType: string, durationMs: number) => void;
  deadLettered?: (topic: string, reason: string, eventType?: string) => void;
  retried?: (topic: string, attempt: number, eventType?: string) => void;
}

export interface SubscriptionOptions<Event extends { type: string }> {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  /** Throws an error named `DecodeError` (with a `kind`) for bytes that are not a known event. */
  decode: (topic: string, value: Buffer) => Event | Promise<Event>;
  /**
   * Applies the event durably; throws `InvalidEventError` for impossible content, anything else is
   * retried. Defaults to `handleBatch` with a run of one message.
   */
  handle?: (message: ConsumedMessage<Event>) => Promise<void>;
  /**
   * Applies a run of consecutive messages of one partition at once. When given, the happy path
   * uses it; after a failure the run is handled one message at a time through `handle`, so that
   * a message that keeps failing holds up only itself and what follows it.
   */
  handleBatch?: BatchHandler<Event>;
  /** The longest run given to `handleBatch` (default 100). */
  maxBatchSize?: number;
  /**
   * Decode failures that may heal (the registry not knowing a schema id yet, while it is being
   * restored): tried again this many times with backoff before the message is dead-lettered.
   */
  decodeRetry?: { kinds?: readonly string[]; attempts?: number; initialMs?: number };
  deadLetters: { producer: Producer; topic: string };
  logger: Logger;
  retry?: { initialMs?: number; maxMs?: number };
  /**
   * Group membership timing (defaults 6 s and 1 s). A member silent for `timeoutMs` loses its
   * partitions; kafkajs heartbeats only between batches, so every wait here is cut into slices
   * of `heartbeatIntervalMs` with a heartbeat after each.
   */
  session?: { timeoutMs?: number; heartbeatIntervalMs?: number };
  partitionsConsumedConcurrently?: number;
  /** The consumer died for good (kafkajs gave up restarting it): the process should exit. */
  onFatal?: (error: Error) => void;
  hooks?: SubscriptionHooks;
  /** Fields for the log lines about a decoded event (its order id, trace id). */
  logContext?: (event: Event) => Record<string, unknown>;
  /** Given the kafkajs consumer once, to listen to its instrumentation events (request counts). */
  instrument?: (consumer: Consumer) => void;
}

/** What one delivery decoded to, for the lines and hooks about its failures. */
interface Delivery<Event> {
  event?: Event;
}

class StoppingError extends Error {
  constructor() {
    super("subscription is stopping");
    this.name = "StoppingError";
  }
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** A delivery as handlers see it; its headers are decoded only if a handler reads them. */
class Consumed<Event> implements ConsumedMessage<Event> {
  readonly offset: string;
  readonly key: string | null;
  private decodedHeaders: Record<string, string> | undefined;

  constructor(
    readonly event: Event,
    readonly topic: string,
    readonly partition: number,
    private readonly message: KafkaMessage,
  ) {
    this.offset = message.offset;
    this.key = message.key?.toString() ?? null;
  }

  get headers(): Readonly<Record<string, string>> {
    this.decodedHeaders ??= headersOf(this.message);
    return this.decodedHeaders;
  }
}

function consumed<Event>(
  topic: string,
  partition: number,
  message: KafkaMessage,
  event: Event,
): ConsumedMessage<Event> {
  return new Consumed(event, topic, partition, message);
}

/** The messages of one run that were applied, for its one log line. */
interface RunTally {
  handled: number;
}

/** Why a message that can never be applied is dead-lettered; undefined for a failure worth retrying. */
function refusalOf(error: unknown): { reason: string; detail: string } | undefined {
  if (error instanceof InvalidEventError) return { reason: error.reason, detail: error.message };
  if (isDecodeFailure(error)) return { reason: `DECODE_${error.kind}`, detail: error.message };
  return undefined;
}

/** An error kafkajs raised about the broker (its cause, not a wrapper), rather than one of ours. */
function isBrokerTrouble(error: Error): boolean {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause.name.startsWith("KafkaJS");
}

/**
 * One consumer group membership. Guarantees: an offset is committed only after the message's
 * effect is durable (`handleBatch` or `handle` returned); messages of a partition are applied in
 * offset order, in runs of up to `maxBatchSize` per call on the happy path; a message that cannot be decoded or is invalid goes to the dead-letter
 * topic and consumption carries on; every other failure is retried with backoff, never skipped.
 */
export class Subscription<Event extends { type: string }> {
  private readonly consumer: Consumer;
  private stopping = false;
  private joinedGroup = false;
  private readonly lagByPartition = new Map<string, number>();
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;

  private readonly handle: (message: ConsumedMessage<Event>) => Promise<void>;

  constructor(private readonly options: SubscriptionOptions<Event>) {
    this.logger = options.logger.child({ component: "consumer", groupId: options.groupId });
    const { handle, handleBatch } = options;
    if (handle) this.handle = handle;
    else if (handleBatch) {
      this.handle = async (message) => {
        const [refusal] = await handleBatch([message]);
        if (refusal) throw refusal;
      };
    } else throw new Error("a subscription needs handle or handleBatch");
    const sessionTimeout = options.session?.timeoutMs ?? 6_000;
    this.heartbeatIntervalMs = options.session?.heartbeatIntervalMs ?? 1_000;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout,
      // Members still in the group must rejoin within this once a rebalance starts; a batch in
      // hand takes well under a second, so twice the session timeout is ample.
      rebalanceTimeout: 2 * sessionTimeout,
      heartbeatInterval: this.heartbeatIntervalMs,
      // An idle fetch returns after this, and the heartbeat follows it: a member that has nothing
      // to read still hears of a rebalance within about a heartbeat interval.
      maxWaitTimeInMs: Math.min(500, this.heartbeatIntervalMs),
      // Retried for about 45 s (at most 2 s apart) before kafkajs gives the consumer up and it
      // joins again as a new member, which the group then waits a whole session for in place of
      // the old one: riding out a cluster restart as the same member is several seconds faster.
      retry: { retries: 25 },
      metadataMaxAge: METADATA_MAX_AGE_MS,
    });
    options.instrument?.(this.consumer);
    const { GROUP_JOIN, CRASH, STOP, DISCONNECT } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joinedGroup = true;
      this.lagByPartition.clear();
      this.logger.info({ memberAssignment: payload.memberAssignment }, "joined consumer group");
    });
    this.consumer.on(STOP, () => {
      this.joinedGroup = false;
    });
    this.consumer.on(DISCONNECT, () => {
      this.joinedGroup = false;
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.joinedGroup = false;
      if (this.stopping) return;
      this.logger.error({ err: payload.error, restart: payload.restart }, "consumer crashed");
      if (payload.restart) return;
      if (isBrokerTrouble(payload.error)) this.rejoin(1);
      else options.onFatal?.(payload.error);
    });
  }

  /**
   * kafkajs gives up for good on some errors of the broker's, such as no group coordinator while
   * a broker restarts: join again once it answers, as for any other transient failure.
   */
  private rejoin(attempt: number): void {
    const delay = Math.min(2_000, 250 * 2 ** Math.min(attempt - 1, 3));
    this.logger.warn({ attempt, retryInMs: delay }, "consumer stopped on a broker error; joining again");
    setTimeout(() => {
      if (this.stopping) return;
      this.start().catch((error: unknown) => {
        this.logger.warn({ err: error, attempt }, "joining again failed");
        this.rejoin(attempt + 1);
      });
    }, delay);
  }

  get joined(): boolean {
    return this.joinedGroup;
  }

  /**
   * Messages behind the end of the partitions this member reads, as of the last batch of each
   * (the broker's high watermark then, minus what has been applied): no broker call to know it.
   */
  get lag(): number {
    let total = 0;
    for (const lag of this.lagByPartition.values()) total += lag;
    return total;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Finishes the message in hand, commits offsets and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }

  /**
   * A fetched batch of one partition, in runs of at most `maxBatchSize`: each run is applied, its
   * refused messages dead-lettered, and only then is its last offset marked for commit.
   */
  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const size = Math.max(1, this.options.maxBatchSize ?? 100);
    const partition = { topic: batch.topic, partition: batch.partition, heartbeat };
    const lagKey = `${batch.topic}:${batch.partition}`;
    const behind = Number(batch.highWatermark);
    // Known before any of it is applied, so that a partition stuck on this batch shows its lag.
    const first = batch.messages[0];
    if (first) this.lagByPartition.set(lagKey, Math.max(0, behind - Number(first.offset)));
    for (let from = 0; from < batch.messages.length; from += size) {
      if (this.stopping || !isRunning() || isStale()) return;
      const run = batch.messages.slice(from, from + size);
      const tally: RunTally = { handled: 0 };
      const started = performance.now();
      if (run.length > 1 && this.options.handleBatch) await this.processRun(partition, run, tally);
      else for (const message of run) await this.processOne({ ...partition, message }, tally);
      const last = run.at(-1);
      if (last) {
        resolveOffset(last.offset);
        this.lagByPartition.set(lagKey, Math.max(0, behind - Number(last.offset) - 1));
      }
      if (tally.handled > 0 && this.logger.isLevelEnabled("debug")) {
        this.logger.debug(
          {
            topic: batch.topic,
            partition: batch.partition,
            fromOffset: run[0]?.offset,
            toOffset: last?.offset,
            events: tally.handled,
            durationMs: Math.round(performance.now() - started),
          },
          "handled events",
        );
      }
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }

  /** The happy path: decode all, apply all in one call; on any failure, one message at a time. */
  private async processRun(
    partition: { topic: string; partition: number; heartbeat: () => Promise<void> },
    run: readonly KafkaMessage[],
    tally: RunTally,
  ): Promise<void> {
    const handleBatch = this.options.handleBatch;
    if (!handleBatch) throw new Error("processRun needs handleBatch");
    const { topic } = partition;
    type Decoded = { message: KafkaMessage; event?: Event; refusal?: { reason: string; detail: string } };
    const decoded: Decoded[] = [];
    try {
      for (const message of run) {
        try {
          decoded.push({ message, event: await this.decode(topic, message) });
        } catch (error) {
          const refusal = refusalOf(error);
          if (!refusal) throw error;
          decoded.push({ message, refusal });
        }
      }
    } catch (error) {
      this.logger.warn({ err: error, topic, partition: partition.partition }, "decoding a batch failed");
      for (const message of run) await this.processOne({ ...partition, message }, tally);
      return;
    }
    const applicable = decoded.filter((entry) => entry.event !== undefined);
    const started = performance.now();
    let outcomes: readonly (InvalidEventError | undefined)[];
    try {
      outcomes = await handleBatch(
        applicable.map(({ message, event }) => consumed(topic, partition.partition, message, event as Event)),
      );
      if (outcomes.length !== applicable.length) {
        throw new Error(`the batch handler answered ${outcomes.length} outcomes for ${applicable.length}`);
      }
    } catch (error) {
      this.logger.warn(
        {
          err: error,
          topic,
          partition: partition.partition,
          fromOffset: run[0]?.offset,
          messages: run.length,
        },
        "handling a batch failed; handling its messages one at a time",
      );
      for (const message of run) await this.processOne({ ...partition, message }, tally);
      return;
    }
    const durationMs = performance.now() - started;
    applicable.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome) entry.refusal = { reason: outcome.reason, detail: outcome.message };
      else if (entry.event)
        this.handled(topic, partition.partition, entry.message.offset, entry.event, durationMs, tally);
    });
    for (const { message, event, refusal } of decoded) {
      if (!refusal) continue;
      const origin = {
        topic,
        partition: partition.partition,
        offset: message.offset,
        groupId: this.options.groupId,
      };
      await this.deadLetter(origin, message, refusal.reason, refusal.detail, { event });
    }
  }

  private async processOne(
    payload: {
      topic: string;
      partition: number;
      message: KafkaMessage;
      heartbeat: () => Promise<void>;
    },
    tally: RunTally,
  ): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const initialMs = this.options.retry?.initialMs ?? 100;
    const maxMs = this.options.retry?.maxMs ?? 10_000;
    const delivery: Delivery<Event> = {};
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new StoppingError();
      try {
        await this.attempt(payload, delivery, tally);
        return;
      } catch (error) {
        if (error instanceof StoppingError) throw error;
        const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 16));
        this.logger.warn(
          {
            ...this.contextOf(delivery),
            err: error,
            topic,
            partition,
            offset: message.offset,
            attempt,
            retryInMs: delay,
          },
          "handling failed; retrying the same message",
        );
        this.options.hooks?.retried?.(topic, attempt, delivery.event?.type);
        // A rebalance surfaces here: let kafkajs rejoin; the unresolved message is delivered again.
        await this.pause(delay, heartbeat);
      }
    }
  }

  /** Waits `ms` while staying in the group: a backoff longer than the session would get us evicted. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    for (let left = ms; left > 0 && !this.stopping; left = until - Date.now()) {
      await sleep(Math.min(left, this.heartbeatIntervalMs));
      await heartbeat();
    }
  }

  /** Decodes, trying a failure that may heal (`decodeRetry`) again for a bounded time. */
  private async decode(topic: string, message: KafkaMessage): Promise<Event> {
    if (!message.value) throw new InvalidEventError("EMPTY_VALUE", "the message has no value (a tombstone?)");
    const value = message.value;
    const kinds = this.options.decodeRetry?.kinds ?? ["UNKNOWN_SCHEMA_ID"];
    const attempts = this.options.decodeRetry?.attempts ?? 5;
    const initialMs = this.options.decodeRetry?.initialMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.decode(topic, value);
      } catch (error) {
        const healable = isDecodeFailure(error) && kinds.includes(error.kind);
        if (!healable || attempt >= attempts || this.stopping) throw error;
        const delay = initialMs * 2 ** (attempt - 1);
        this.logger.warn(
          { err: error, topic, offset: message.offset, attempt, retryInMs: delay },
          "decoding failed in a way that may heal; trying again",
        );
        await sleep(delay);
      }
    }
  }

  /**
   * The hook, once the event's effect is durable, and at debug level a line `handled <EventType>`
   * with the event's log context, beside the run's one line (`handled events`), also at debug.
   */
  private handled(
    topic: string,
    partition: number,
    offset: string,
    event: Event,
    durationMs: number,
    tally: RunTally,
  ): void {
    tally.handled++;
    this.options.hooks?.handled?.(topic, event.type, durationMs);
    if (this.logger.isLevelEnabled("debug")) {
      this.logger.debug({ ...this.contextOf({ event }), topic, partition, offset }, `handled ${event.type}`);
    }
  }

  private contextOf(delivery: Delivery<Event>): Record<string, unknown> {
    return delivery.event && this.options.logContext ? this.options.logContext(delivery.event) : {};
  }

  private async attempt(
    { topic, partition, message }: { topic: string; partition: number; message: KafkaMessage },
    delivery: Delivery<Event>,
    tally: RunTally,
  ): Promise<void> {
    const origin = { topic, partition, offset: message.offset, groupId: this.options.groupId };
    let event: Event;
    try {
      event = await this.decode(topic, message);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        await this.deadLetter(origin, message, refusal.reason, refusal.detail, delivery);
        return;
      }
      throw error;
    }
    delivery.event = event;
    const started = performance.now();
    try {
      await this.handle(consumed(topic, partition, message, event));
      this.handled(topic, partition, message.offset, event, performance.now() - started, tally);
    } catch (error) {
      if (error instanceof InvalidEventError) {
        await this.deadLetter(origin, message, error.reason, error.message, delivery);
        return;
      }
      throw error;
    }
  }

  private async deadLetter(
    origin: { topic: string; partition: number; offset: string; groupId: string },
    message: KafkaMessage,
    reason: string,
    detail: string,
    delivery: Delivery<Event>,
  ): Promise<void> {
    await publishDeadLetter(this.options.deadLetters.producer, this.options.deadLetters.topic, {
      reason,
      detail,
      origin,
      key: message.key,
      value: message.value,
      headers: message.headers,
    });
    this.options.hooks?.deadLettered?.(origin.topic, reason, delivery.event?.type);
    this.logger.warn({ ...this.contextOf(delivery), ...origin, reason, detail }, "message dead-lettered");
  }
}
