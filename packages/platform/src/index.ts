export {
  AdmissionControl,
  type AdmissionControlOptions,
  type AdmissionDecision,
  type BacklogSignal,
  decideAdmission,
} from "./admission.js";
export {
  type AuthVariables,
  authenticate,
  issueToken,
  type Principal,
  requireAdmin,
  verifyToken,
} from "./auth.js";
export {
  ConfigError,
  describeConfig,
  env,
  parseConfig,
  retentionWindowIssues,
  type ServiceConfig,
  serviceConfigShape,
} from "./config.js";
export { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS, corsPolicy } from "./cors.js";
export {
  type ApiInfo,
  answerClientErrors,
  createHttpApp,
  type ErrorMapper,
  MAX_BODY_BYTES,
  type ReadinessCheck,
  type RequestVariables,
  requestErrorResponse,
} from "./http.js";
export { type RequestTrace, traceRequests } from "./http-tracing.js";
export { type DrainableServer, drainable, type Running, runEvery, runUntilSignalled } from "./lifecycle.js";
export { createLogger, type Logger, stdoutDestination } from "./logger.js";
export {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  HTTP_DURATION_BUCKETS,
  httpMetrics,
  metricsHandler,
  Registry,
  routeOf,
} from "./metrics.js";
export {
  adminProblems,
  authProblems,
  bodyProblems,
  createRoutes,
  jsonBody,
  ProblemSchema,
  problem,
  validationHook,
} from "./openapi.js";
export {
  type FieldError,
  type Problem,
  ProblemError,
  type ProblemKind,
  problemResponse,
  problemTypes,
} from "./problem.js";
export { type Serving, serve } from "./server.js";
export {
  type OtlpProtocol,
  startTelemetry,
  type Telemetry,
  telemetryEnabled,
  tracingActive,
} from "./telemetry.js";
export {
  contextOf,
  failed,
  formatTraceparent,
  inSpan,
  linkTo,
  parseTraceparent,
  type SpanOptions,
  type TraceContext,
  traceparentOf,
  traceparentOrNew,
  tracer,
  withTraceId,
} from "./tracing.js";
export { fieldErrors, parseQuery, readJsonBody, readJsonText } from "./validation.js";
