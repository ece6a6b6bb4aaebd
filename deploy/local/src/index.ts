export { type ComposeCommand, composeV2 } from "./compose-plugin.js";
export { devJwtSecret } from "./dev-secret.js";
export { type ServiceName, type ServiceProcess, startService } from "./services.js";
export { type Settings, settings } from "./settings.js";
export { down, reset, StackError, status, type UpResult, up } from "./stack.js";
export { prepareSystem } from "./system.js";
export { stackTopics } from "./topics.js";
