import type { TopicSpec } from "./kafka.js";

// TODO(contracts): read from the topic map in @stocksaga/contracts once it lands.
export const stackTopics: readonly TopicSpec[] = [
  { topic: "order-events", partitions: 6 },
  { topic: "reservation-events", partitions: 6 },
  { topic: "stock-events", partitions: 3 },
  { topic: "dead-letters", partitions: 3 },
];
