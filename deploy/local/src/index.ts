export { type Settings, settings } from "./settings.js";
export { down, reset, StackError, status, type UpResult, up } from "./stack.js";
export { stackTopics } from "./topics.js";
