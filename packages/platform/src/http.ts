import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { z } from "zod";
import { verifyToken } from "./auth.js";
import { corsPolicy } from "./cors.js";
import { apiReferencePage, type OpenApiDocument } from "./docs.js";
import { type RequestTrace, traceRequests } from "./http-tracing.js";
import type { Logger } from "./logger.js";
import { httpMetrics, metricsHandler, type Registry } from "./metrics.js";
import { type FieldError, type Problem, ProblemError, problemResponse, problemTypes } from "./problem.js";

export const MAX_BODY_BYTES = 64 * 1024;

export interface RateLimit {
  /** Sustained requests per second per client. */
  perSecond: number;
  /** Requests a client may send at once after a quiet spell. */
  burst: number;
  /** Verifies bearer tokens, so that a valid token's subject is the client; anything else is its address. */
  jwtSecret?: string;
}

/** Paths that orchestrators, scrapers and readers of the docs call: never throttled. */
function exemptFromRateLimit(path: string): boolean {
  return path.startsWith("/health/") || path === "/metrics" || path === "/docs" || path === "/openapi.json";
}

/**
 * One token bucket per client key: `burst` tokens, refilled at `perSecond`. A bucket that has
 * refilled completely is the same as none, so those are dropped when the map grows.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private pruneAt = 10_000;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`: 0 when one was there, otherwise the seconds until one will be. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond)
      : this.burst;
    if (!bucket && this.buckets.size >= this.pruneAt) this.prune(now);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return (1 - tokens) / this.perSecond;
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    this.pruneAt = Math.max(10_000, this.buckets.size * 2);
  }
}

function remoteAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

/** The client a request counts against: the subject of a valid bearer token, else the remote address. */
async function clientKey(c: Context, jwtSecret: string | undefined): Promise<string> {
  const match = jwtSecret ? /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization")?.trim() ?? "") : null;
  if (match?.[1] && jwtSecret) {
    try {
      return `sub:${(await verifyToken(match[1], jwtSecret)).customerId}`;
    } catch {
      // A forged or expired token buys no bucket of its own.
    }
  }
  return `ip:${remoteAddress(c)}`;
}

function rateLimiter(limit: RateLimit): MiddlewareHandler {
  const buckets = new TokenBuckets(limit.perSecond, limit.burst);
  return async (c, next) => {
    if (exemptFromRateLimit(c.req.path)) return next();
    const waitSeconds = buckets.take(await clientKey(c, limit.jwtSecret));
    if (waitSeconds > 0) {
      throw new ProblemError("rateLimited", `At most ${limit.perSecond} requests per second; slow down.`, {
        retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)),
      });
    }
    return next();
  };
}

export interface RequestVariables {
  requestId: string;
  /** Carries the request's trace id and span id on every line. */
  logger: Logger;
  trace: RequestTrace;
}

/** Maps a service's own (domain) errors to problems; returns undefined for errors it does not know. */
export type ErrorMapper = (error: unknown) => Problem | undefined;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The frame every service's HTTP API sits in: request ids, access logs, security headers,
 * a body limit, health endpoints, metrics, the API's documents, and the one place errors become
 * problem+json.
 */
export function createHttpApp<Env extends { Variables: RequestVariables }>(options: {
  logger: Logger;
  mapError?: ErrorMapper;
  readiness?: readonly ReadinessCheck[];
  onResponse?: (c: Context<Env>, durationMs: number) => void;
  /** Per-client token buckets; without it, nothing is throttled. */
  rateLimit?: RateLimit;
  /** Serves `GET /metrics` (no token: an internal network's concern) and times every request. */
  metrics?: Registry;
  /** Served as `GET /openapi.json`, and rendered as the reference page `GET /docs`. */
  openApi?: OpenApiDocument;
  /** Origins whose pages may call the API from a browser (CORS); without it, none. */
  corsOrigins?: readonly string[];
}): Hono<Env> {
  const app = new Hono<Env>();
  const timeRequest = options.metrics ? httpMetrics(options.metrics) : undefined;

  const requestContext: MiddlewareHandler<Env> = async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    const { traceId, spanId } = c.var.trace;
    c.set("logger", options.logger.child({ requestId, traceId, spanId }));
    c.header("x-request-id", requestId);
    const started = performance.now();
    await next();
    const durationMs = performance.now() - started;
    timeRequest?.(c, durationMs);
    options.onResponse?.(c, durationMs);
    if (!c.req.path.startsWith("/health") && c.req.path !== "/metrics") {
      c.var.logger.info(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          durationMs: Math.round(durationMs * 10) / 10,
        },
        "request",
      );
    }
  };

  app.use(
    "*",
    traceRequests(
      (path) => path.startsWith("/health/") || path === "/metrics",
    ) as unknown as MiddlewareHandler<Env>,
  );
  app.use("*", requestContext);
  // Before the rate limiter and the routes: preflights are answered here, and every answer
  // (problems included) carries the headers a console page needs to read it.
  if (options.corsOrigins?.length) app.use("*", corsPolicy(options.corsOrigins));
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "same-origin" }));
  if (options.rateLimit) app.use("*", rateLimiter(options.rateLimit));
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ProblemError("payloadTooLarge", `The body may be at most ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );

  app.get("/health/live", (c) => c.json({ status: "UP" }));
  app.get("/health/ready", async (c) => {
    const results = await Promise.all(
      (options.readiness ?? []).map(async ({ name, check }) => {
        try {
          return [name, (await check()) ? "UP" : "DOWN"] as const;
        } catch {
          return [name, "DOWN"] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const up = results.every(([, state]) => state === "UP");
    return c.json({ status: up ? "UP" : "DOWN", checks }, up ? 200 : 503);
  });

  if (options.metrics) app.get("/metrics", metricsHandler(options.metrics));
  const { openApi } = options;
  if (openApi) {
    app.get("/openapi.json", (c) => c.json(openApi));
    app.get("/docs", (c) => c.html(apiReferencePage(openApi)));
  }

  app.notFound((c) =>
    problemResponse(c, { ...problemTypes.notFound, detail: `No route for ${c.req.method} ${c.req.path}.` }),
  );

  app.onError((error, c) => {
    if (error instanceof ProblemError) {
      const headers: Record<string, string> = {};
      if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="stocksaga"';
      if (error.status === 429 || error.status === 503) {
        headers["retry-after"] = String(error.problem.retryAfterSeconds ?? 1);
      }
      // The rest of an oversized body is never read: the connection cannot carry another request.
      if (error.status === 413) headers.connection = "close";
      return problemResponse(c, error.problem, headers);
    }
    const mapped = options.mapError?.(error);
    if (mapped) return problemResponse(c, mapped);
    if (isOverload(error)) {
      const logger = (c.get("logger") as Logger | undefined) ?? options.logger;
      logger.warn({ err: error, method: c.req.method, path: c.req.path }, "no database connection in time");
      return problemResponse(
        c,
        { ...problemTypes.unavailable, detail: "Too busy to take this request now; retry shortly." },
        { "retry-after": "1" },
      );
    }
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(c, { ...problemTypes.validation, status: error.status, detail: error.message });
    }
    const logger = (c.get("logger") as Logger | undefined) ?? options.logger;
    logger.error({ err: error, method: c.req.method, path: c.req.path }, "unhandled error");
    return problemResponse(c, {
      ...problemTypes.internal,
      detail: `Reference ${c.get("requestId") ?? "unknown"} when reporting this.`,
    });
  });

  return app;
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 431: "Request Header Fields Too Large" };

/**
 * What node's HTTP parser refuses never reaches the app (a request line with raw non-ASCII bytes,
 * headers over the size limit, broken chunking): answer those with problem+json too, not node's
 * bare 400/431, then close the connection.
 */
export function answerClientErrors(server: {
  on(
    event: "clientError",
    listener: (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => void,
  ): unknown;
}): void {
  server.on("clientError", (error, socket) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const problem =
      error.code === "HPE_HEADER_OVERFLOW"
        ? {
            ...problemTypes.headersTooLarge,
            detail: "Send a shorter request line and fewer or smaller headers.",
          }
        : { ...problemTypes.badRequest, detail: "The request could not be parsed as HTTP/1.1." };
    // An answer to HEAD has no body, or the client would read it as the start of the next response.
    const head = error.rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
    const body = head ? "" : JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status]}\r\n` +
        "content-type: application/problem+json\r\n" +
        (head ? "" : `content-length: ${Buffer.byteLength(body)}\r\n`) +
        "connection: close\r\n\r\n" +
        body,
    );
  });
}

/**
 * For `serve({ errorHandler })`: a request the server adapter cannot turn into a `Request` (a
 * backslash in the path, a bad Host header) is the client's fault: 400 problem+json.
 */
export function requestErrorResponse(error: unknown): Response {
  const clientFault = error instanceof Error && error.name === "RequestError";
  const problem = clientFault
    ? { ...problemTypes.badRequest, detail: error.message }
    : { ...problemTypes.internal, detail: "The request could not be handled." };
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json" },
  });
}

/**
 * The database pool had no connection for the request in time (Prisma P2024, or P2028 before the
 * transaction started): the service is overloaded, not broken, and a retry may well succeed.
 */
function isOverload(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === "P2024" ||
    (code === "P2028" && typeof message === "string" && message.includes("Unable to start a transaction"))
  );
}

/** JSON Pointer (RFC 6901) for a zod issue path. */
function pointer(path: readonly PropertyKey[]): string {
  return `/${path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return { pointer: pointer(issue.path), detail: `unknown field(s): ${issue.keys.join(", ")}` };
    }
    return { pointer: pointer(issue.path), detail: issue.message };
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first string (value or key) of a parsed body that no database column can hold as sent:
 * PostgreSQL text refuses U+0000, and a lone surrogate is not Unicode (it would be stored as
 * U+FFFD). Iterative, since a 64 KiB body can nest thousands of levels deep.
 */
function unstorableString(body: unknown): FieldError | undefined {
  interface Step {
    value: unknown;
    key?: string | number;
    parent?: Step;
  }
  const pathOf = (step: Step | undefined): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let at = step; at && at.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const problem = (text: string) =>
    text.includes("\u0000")
      ? "must not contain the NUL character (U+0000)"
      : LONE_SURROGATE.test(text)
        ? "must be well-formed Unicode (no lone surrogate)"
        : undefined;
  const stack: Step[] = [{ value: body }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const { value } = step;
    if (typeof value === "string") {
      const detail = problem(value);
      if (detail) return { pointer: pointer(pathOf(step)), detail };
    } else if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++)
        stack.push({ value: value[index], key: index, parent: step });
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        const detail = problem(key);
        if (detail) return { pointer: pointer(pathOf(step)), detail: `a field name ${detail}` };
        stack.push({ value: child, key, parent: step });
      }
    }
  }
  return undefined;
}

/** Reads and validates a JSON body: 415 for another media type, 400 for bad JSON or invalid fields. */
export async function readJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const contentType = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new ProblemError(
      "unsupportedMediaType",
      `Send Content-Type: application/json (got "${contentType.slice(0, 100)}").`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ProblemError("malformedBody");
  }
  const unstorable = unstorableString(body);
  if (unstorable) {
    throw new ProblemError("validation", "One or more fields are invalid.", { errors: [unstorable] });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new ProblemError("validation", "One or more fields are invalid.", {
      errors: fieldErrors(result.error),
    });
  }
  return result.data;
}

export function parseQuery<T>(c: Context, schema: z.ZodType<T>): T {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    throw new ProblemError("validation", "One or more query parameters are invalid.", {
      errors: fieldErrors(result.error),
    });
  }
  return result.data;
}
