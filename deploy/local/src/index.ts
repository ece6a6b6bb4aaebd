export { type ComposeCommand, composeV2 } from "./compose-plugin.js";
export { devJwtSecret } from "./dev-secret.js";
export { describeFailure, MissingPrerequisite, StackError } from "./failure.js";
export { findKafkaJava } from "./java.js";
export {
  brokerProcess,
  type ClusterStatus,
  clusterStatus,
  type KafkaNode,
  kafkaNode,
  killBroker,
  startBroker,
  stopBroker,
} from "./kafka.js";
export { type ServiceName, type ServiceProcess, startService } from "./services.js";
export { type Settings, settings } from "./settings.js";
export { down, reset, status, type UpResult, up } from "./stack.js";
export { prepareSystem } from "./system.js";
export { stackTopics } from "./topics.js";
