import { type TopicCreation, topicsToCreate } from "@stocksaga/contracts";
import { settings } from "./settings.js";

/**
 * The topic map of @stocksaga/contracts decides which topics exist, their partitions, retention
 * and — from the number of brokers the stack runs — their replication and min.insync.replicas.
 */
export const stackTopics: readonly TopicCreation[] = topicsToCreate({}, settings.kafka.brokerCount);
