import type { ConsumedMessage } from "./consumer.js";
import { InvalidEventError } from "./errors.js";

/** A consumed event as a reaction records it: the event, the consumer applying it, and where it was read. */
export interface Received<Event> {
  event: Event;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
}

export function receivedBy<Event>(consumer: string, message: ConsumedMessage<Event>): Received<Event> {
  return {
    event: message.event,
    consumer,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
  };
}

export interface BatchReactionSteps<Event, Reaction, Refusal> {
  /** The local reaction to one message; throws InvalidEventError for content it cannot take. */
  reactionTo: (message: ConsumedMessage<Event>) => Reaction;
  /** Applies every reaction at once (one transaction): for each, what refused it, or undefined. */
  applyAll: (reactions: Reaction[]) => Promise<readonly (Refusal | undefined)[]>;
  /** Why a refused reaction's message is dead-lettered. */
  invalid: (refusal: Refusal, reaction: Reaction) => InvalidEventError;
}

/**
 * The outcomes of a batch handler (see `BatchHandler`) whose messages become reactions one by
 * one and are applied all at once: a message `reactionTo` refuses is dead-lettered alone, the
 * others are applied in offset order, and a reaction the application refused is dead-lettered.
 */
export async function reactToBatch<Event, Reaction, Refusal>(
  messages: readonly ConsumedMessage<Event>[],
  steps: BatchReactionSteps<Event, Reaction, Refusal>,
): Promise<(InvalidEventError | undefined)[]> {
  const outcomes: (InvalidEventError | undefined)[] = [];
  const reactions: { index: number; reaction: Reaction }[] = [];
  for (const [index, message] of messages.entries()) {
    try {
      reactions.push({ index, reaction: steps.reactionTo(message) });
      outcomes.push(undefined);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      outcomes.push(error);
    }
  }
  if (reactions.length === 0) return outcomes;
  const refusals = await steps.applyAll(reactions.map(({ reaction }) => reaction));
  refusals.forEach((refusal, at) => {
    const entry = reactions[at];
    if (refusal && entry) outcomes[entry.index] = steps.invalid(refusal, entry.reaction);
  });
  return outcomes;
}
