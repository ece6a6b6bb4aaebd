import { topicsToCreate } from "@stocksaga/contracts";
import type { TopicSpec } from "./kafka.js";

/** The topic map of @stocksaga/contracts decides which topics exist and how many partitions each has. */
export const stackTopics: readonly TopicSpec[] = topicsToCreate().map(({ topic, numPartitions }) => ({
  topic,
  partitions: numPartitions,
}));
