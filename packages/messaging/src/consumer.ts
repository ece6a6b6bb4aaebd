import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, EachMessagePayload, Kafka, Producer } from "kafkajs";
import type { Logger } from "pino";
import { publishDeadLetter } from "./dead-letters.js";
import { InvalidEventError, isDecodeFailure } from "./errors.js";

export interface ConsumedMessage<Event> {
  event: Event;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Readonly<Record<string, string>>;
}

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
  /** Applies the event durably; throws `InvalidEventError` for impossible content, anything else is retried. */
  handle: (message: ConsumedMessage<Event>) => Promise<void>;
  deadLetters: { producer: Producer; topic: string };
  logger: Logger;
  retry?: { initialMs?: number; maxMs?: number };
  partitionsConsumedConcurrently?: number;
  /** The consumer died for good (kafkajs gave up restarting it): the process should exit. */
  onFatal?: (error: Error) => void;
  hooks?: SubscriptionHooks;
  /** Fields for the log lines about a decoded event (its order id, trace id). */
  logContext?: (event: Event) => Record<string, unknown>;
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

function headersOf(message: EachMessagePayload["message"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** An error kafkajs raised about the broker (its cause, not a wrapper), rather than one of ours. */
function isBrokerTrouble(error: Error): boolean {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause.name.startsWith("KafkaJS");
}

/**
 * One consumer group membership. Guarantees: an offset is committed only after `handle` returned
 * (the effect is durable); a message that cannot be decoded or is invalid goes to the dead-letter
 * topic and consumption carries on; every other failure is retried with backoff, never skipped.
 */
export class Subscription<Event extends { type: string }> {
  private readonly consumer: Consumer;
  private stopping = false;
  private joinedGroup = false;
  private readonly logger: Logger;

  constructor(private readonly options: SubscriptionOptions<Event>) {
    this.logger = options.logger.child({ component: "consumer", groupId: options.groupId });
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { retries: 10 },
    });
    const { GROUP_JOIN, CRASH, STOP, DISCONNECT } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joinedGroup = true;
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
    const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
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

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: (payload) => this.process(payload),
    });
  }

  /** Finishes the message in hand, commits offsets and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }

  private async process(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const initialMs = this.options.retry?.initialMs ?? 100;
    const maxMs = this.options.retry?.maxMs ?? 10_000;
    const delivery: Delivery<Event> = {};
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new StoppingError();
      try {
        await this.attempt(payload, delivery);
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
        await sleep(delay);
        // A rebalance surfaces here: let kafkajs rejoin; the unresolved message is delivered again.
        await heartbeat();
      }
    }
  }

  private contextOf(delivery: Delivery<Event>): Record<string, unknown> {
    return delivery.event && this.options.logContext ? this.options.logContext(delivery.event) : {};
  }

  private async attempt(
    { topic, partition, message }: EachMessagePayload,
    delivery: Delivery<Event>,
  ): Promise<void> {
    const origin = { topic, partition, offset: message.offset, groupId: this.options.groupId };
    let event: Event;
    try {
      if (!message.value)
        throw new InvalidEventError("EMPTY_VALUE", "the message has no value (a tombstone?)");
      event = await this.options.decode(topic, message.value);
    } catch (error) {
      if (isDecodeFailure(error) || error instanceof InvalidEventError) {
        const reason = error instanceof InvalidEventError ? error.reason : `DECODE_${error.kind}`;
        await this.deadLetter(origin, message, reason, error.message, delivery);
        return;
      }
      throw error;
    }
    delivery.event = event;
    const started = performance.now();
    try {
      await this.options.handle({
        event,
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        headers: headersOf(message),
      });
      this.options.hooks?.handled?.(topic, event.type, performance.now() - started);
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
    message: EachMessagePayload["message"],
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
