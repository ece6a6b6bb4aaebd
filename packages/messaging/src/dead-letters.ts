import type { IHeaders, Producer } from "kafkajs";

export const DEAD_LETTER_HEADERS = {
  reason: "dlt-reason",
  detail: "dlt-detail",
  topic: "dlt-origin-topic",
  partition: "dlt-origin-partition",
  offset: "dlt-origin-offset",
  group: "dlt-consumer-group",
  at: "dlt-failed-at",
} as const;

export interface DeadLetter {
  reason: string;
  detail: string;
  origin: { topic: string; partition: number; offset: string; groupId: string };
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

/** Copies the original bytes unchanged, and says why and where from in headers. */
export async function publishDeadLetter(
  producer: Producer,
  topic: string,
  letter: DeadLetter,
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: [
      {
        key: letter.key,
        value: letter.value,
        headers: {
          ...letter.headers,
          [DEAD_LETTER_HEADERS.reason]: letter.reason,
          [DEAD_LETTER_HEADERS.detail]: letter.detail.slice(0, 1_000),
          [DEAD_LETTER_HEADERS.topic]: letter.origin.topic,
          [DEAD_LETTER_HEADERS.partition]: String(letter.origin.partition),
          [DEAD_LETTER_HEADERS.offset]: letter.origin.offset,
          [DEAD_LETTER_HEADERS.group]: letter.origin.groupId,
          [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
        },
      },
    ],
  });
}
