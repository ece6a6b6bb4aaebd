import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import { createRoute, OpenAPIHono, z as zod } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { serveApiReference } from "./api-reference.js";
import { verifyToken } from "./auth.js";
import { corsPolicy } from "./cors.js";
import { type RequestTrace, traceRequests } from "./http-tracing.js";
import type { Logger } from "./logger.js";
import { httpMetrics, type Registry } from "./metrics.js";
import { validationHook } from "./openapi.js";
import { type Problem, ProblemError, problemResponse, problemTypes } from "./problem.js";

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
  return (
    path.startsWith("/health/") ||
    path === "/metrics" ||
    path === "/docs" ||
    path.startsWith("/docs/") ||
    path === "/openapi.json"
  );
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

export type ApiInfo = {
  title: string;
  version: string;
  description?: string;
};

const HealthSchema = zod
  .object({
    status: zod.enum(["UP", "DOWN"]),
    checks: zod.record(zod.string(), zod.enum(["UP", "DOWN"])).optional(),
  })
  .openapi("Health");

const liveRoute = createRoute({
  method: "get",
  path: "/health/live",
  tags: ["operations"],
  summary: "Liveness: the process answers",
  security: [],
  responses: { 200: { description: "Alive.", content: { "application/json": { schema: HealthSchema } } } },
});

const readyRoute = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["operations"],
  summary: "Readiness: every dependency answers",
  security: [],
  responses: {
    200: { description: "Ready; each check UP.", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A check is DOWN.", content: { "application/json": { schema: HealthSchema } } },
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics (text exposition format)",
  description: "No token: expose it on an internal network only.",
  security: [],
  responses: {
    200: {
      description: "Every metric of the service.",
      content: { "text/plain": { schema: zod.string() } },
    },
  },
});

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
  /**
   * The API's title and description: `GET /openapi.json` serves the OpenAPI 3.1 document of every
   * route declared with `createRoute`, and `GET /docs` an interactive reference of it.
   */
  apiInfo?: ApiInfo;
  /** Origins whose pages may call the API from a browser (CORS); without it, none. */
  corsOrigins?: readonly string[];
}): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook<Env>() });
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

  app.openapi(liveRoute, (c) => c.json({ status: "UP" as const }, 200));
  app.openapi(readyRoute, async (c) => {
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
    return up
      ? c.json({ status: "UP" as const, checks }, 200)
      : c.json({ status: "DOWN" as const, checks }, 503);
  });

  const { metrics } = options;
  if (metrics) {
    app.openapi(metricsRoute, async (c) =>
      c.text(await metrics.metrics(), 200, { "content-type": metrics.contentType }),
    );
  }
  const { apiInfo } = options;
  if (apiInfo) {
    app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    // Routes are added after the frame: the document is generated at its first request, then kept.
    let document: unknown;
    app.get("/openapi.json", (c) => {
      document ??= app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: apiInfo,
        security: [{ bearer: [] }],
      });
      return c.json(document);
    });
    serveApiReference(app as never, apiInfo.title);
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
    if (error instanceof HTTPException && error.status === 415) {
      return problemResponse(c, { ...problemTypes.unsupportedMediaType, detail: error.message });
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
