export type { ValueProblem } from "./avro.js";
export { type EncodedMessage, EventCodec, type EventCodecOptions } from "./codec.js";
export { DecodeError, type DecodeErrorKind, EncodeError, SchemaNotRegisteredError } from "./errors.js";
export type { AvroRecordSchema, EventSchema, JsonValue } from "./event-schema.js";
export { EVENT_SCHEMAS } from "./events/schemas.js";
export * from "./events/types.js";
export {
  type CompatibilityReport,
  type CompatibilityStatus,
  ContractCheckFailedError,
  type ContractSelection,
  checkContracts,
  checkSubject,
  contractSubjects,
  failuresOf,
  REQUIRED_COMPATIBILITY,
  type Registration,
  registerContracts,
  type SubjectSchema,
  schemaText,
} from "./governance.js";
export {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  type CompatibilityVerdict,
  DEFAULT_REGISTRY_URL,
  IncompatibleSchemaError,
  type RegisteredSchemaVersion,
  RegistryClient,
  type RegistryClientOptions,
  RegistryError,
  RegistryUnavailableError,
} from "./registry.js";
export {
  ALL_TOPICS,
  DEAD_LETTER_TOPIC,
  EVENT_ROUTES,
  eventTypesOn,
  keyFor,
  type Participant,
  ROUTED_EVENT_TYPES,
  replicationFor,
  SAGA_TOPICS,
  type SagaTopic,
  subjectFor,
  TOPIC_SPECS,
  type TopicCreation,
  type TopicName,
  type TopicNaming,
  type TopicSpec,
  topicFor,
  topicName,
  topicOf,
  topicsToCreate,
} from "./topics.js";
