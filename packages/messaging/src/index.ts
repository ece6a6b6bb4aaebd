export { type BatchReactionSteps, type Received, reactToBatch, receivedBy } from "./batch-reactions.js";
export {
  type BatchHandler,
  type ConsumedMessage,
  Subscription,
  type SubscriptionHooks,
  type SubscriptionOptions,
} from "./consumer.js";
export { traceConsumption } from "./consumer-tracing.js";
export { type DatabaseTally, databaseMetrics } from "./database-metrics.js";
export { DEAD_LETTER_HEADERS, type DeadLetter, publishDeadLetter } from "./dead-letters.js";
export {
  type Causation,
  causedBy,
  eventMetadata,
  handledIn,
  handlingSpanOf,
  startedByClock,
} from "./envelope.js";
export { type DecodeFailure, InvalidEventError, isDecodeFailure } from "./errors.js";
export { claimInbox, type InboxEntry, unclaimInbox } from "./inbox.js";
export { createKafka, createProducer } from "./kafka.js";
export {
  type ConsumerLagOptions,
  consumerLagMetrics,
  kafkaRequestMetrics,
  outboxRelayMetrics,
  subscriptionMetrics,
} from "./metrics.js";
export { OutboxRelay, type OutboxRelayOptions, type OutboxRow } from "./outbox-relay.js";
export { type OutboxEntry, outboxEntry, writeOutbox } from "./outbox-write.js";
export { createPool, type PoolOptions } from "./pool.js";
export {
  type ConsumeOptions,
  type MessagingConfig,
  ServiceMessaging,
  type ServiceMessagingOptions,
} from "./service-messaging.js";
export { inTransaction, type Queryable } from "./sql.js";
