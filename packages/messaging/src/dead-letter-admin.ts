import type { DeadLetterIndex, IndexedDeadLetter } from "./dead-letter-index.js";

import type { DeadLetterView } from "./dead-letter-routes.js";

/** A dead letter as the admin API shows it (its schema is in dead-letter-routes.ts). */
export type { DeadLetterView };

export type ReplayOutcome =
  | { outcome: "replayed"; letter: DeadLetterView }
  | { outcome: "already-replayed"; letter: DeadLetterView }
  | { outcome: "not-found" };

/** The header a replayed message carries: where its dead letter came from. */
export const REPLAY_OF_HEADER = "dlt-replay-of";

export interface DeadLetterAdminOptions {
  index: Pick<DeadLetterIndex, "list" | "find" | "replay">;
  /** This service's consumer group: the letters it sent are the ones it shows. */
  consumerGroup: string;
  /** The project's registry codec: resolves to the event, or throws why the bytes do not decode. */
  decode: (topic: string, value: Buffer | null) => Promise<{ type: string }>;
  /** Writes one message to a topic with acks from every in-sync replica. */
  send: (
    topic: string,
    message: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | string> },
  ) => Promise<void>;
  now?: () => Date;
}

/** List, show and replay the dead letters of one consumer group. */
export class DeadLetterAdmin {
  constructor(private readonly options: DeadLetterAdminOptions) {}

  async list(limit: number): Promise<DeadLetterView[]> {
    const letters = await this.options.index.list(this.options.consumerGroup, limit);
    return Promise.all(letters.map((letter) => this.viewOf(letter)));
  }

  async get(id: string): Promise<DeadLetterView | undefined> {
    const letter = await this.options.index.find(this.options.consumerGroup, id);
    return letter && this.viewOf(letter);
  }

  /**
   * Writes the original key, value and headers (with `dlt-replay-of`) back to the origin topic and
   * records the replay, both or neither; refused when replayed before, unless `force`.
   */
  async replay(id: string, request: { by: string; force: boolean }): Promise<ReplayOutcome> {
    const { index, consumerGroup } = this.options;
    const letter = await index.find(consumerGroup, id);
    if (!letter) return { outcome: "not-found" };
    const { topic, partition, offset } = letter.origin;
    const replayed = await index.replay(
      consumerGroup,
      id,
      { by: request.by, forced: request.force, at: (this.options.now ?? (() => new Date()))() },
      () =>
        this.options.send(topic, {
          key: letter.key,
          value: letter.value,
          headers: { ...letter.headers, [REPLAY_OF_HEADER]: `${topic}/${partition}/${offset}` },
        }),
    );
    const after = (await index.find(consumerGroup, id)) ?? letter;
    return { outcome: replayed ? "replayed" : "already-replayed", letter: await this.viewOf(after) };
  }

  private async viewOf(letter: IndexedDeadLetter): Promise<DeadLetterView> {
    return {
      id: letter.id,
      reason: letter.reason,
      detail: letter.detail,
      origin: letter.origin,
      failedAt: letter.failedAt.toISOString(),
      key: letter.key === null ? null : letter.key.toString("utf8"),
      payload: await this.payloadOf(letter),
      replays: letter.replays.map((replay) => ({ ...replay, at: replay.at.toISOString() })),
    };
  }

  private async payloadOf(letter: IndexedDeadLetter): Promise<DeadLetterView["payload"]> {
    const bytes = letter.value;
    try {
      const { type, ...value } = await this.options.decode(letter.origin.topic, bytes);
      // Decoded means Confluent-framed: the schema id sits in bytes 1-4.
      return {
        decoded: true,
        schemaId: bytes?.readInt32BE(1) ?? 0,
        type,
        value: JSON.parse(JSON.stringify(value)),
      };
    } catch (error) {
      return {
        decoded: false,
        hex: bytes?.toString("hex") ?? "",
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
