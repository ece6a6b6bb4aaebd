export { type BatchReactionSteps, type Received, reactToBatch, receivedBy } from "./batch-reactions.js";
export {
  type Change,
  ChangeFeed,
  ChangeNotifier,
  changePayloads,
  EVERYTHING_CHANGED,
  MAX_CHANGE_PAYLOAD_BYTES,
  NOTIFY_CHANGES,
} from "./change-feed.js";
export {
  type BatchHandler,
  type ConsumedMessage,
  Subscription,
  type SubscriptionHooks,
  type SubscriptionOptions,
} from "./consumer.js";
export { traceConsumption } from "./consumer-tracing.js";
export { type DatabaseTally, databaseMetrics } from "./database-metrics.js";
export {
  DeadLetterAdmin,
  type DeadLetterAdminOptions,
  type DeadLetterView,
  REPLAY_OF_HEADER,
  type ReplayOutcome,
} from "./dead-letter-admin.js";
export { DeadLetterIndex, type IndexedDeadLetter } from "./dead-letter-index.js";
export { DeadLetterIndexer, deadLetterOf } from "./dead-letter-indexer.js";
export {
  ALREADY_REPLAYED_PROBLEM,
  deadLetterRoutes,
  deadLetterSchemas,
} from "./dead-letter-routes.js";
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
export { recordLifetimes, warnIfRecordsOutliveInbox } from "./record-lifetime.js";
export { inboxRetention, Retention, type RetentionOptions, type RetentionRule } from "./retention.js";
export {
  type ConsumeOptions,
  type MessagingConfig,
  ServiceMessaging,
  type ServiceMessagingOptions,
} from "./service-messaging.js";
export { inTransaction, type Queryable } from "./sql.js";
export { DEAD_ROWS, TableVacuum, type TableVacuumOptions } from "./table-vacuum.js";
