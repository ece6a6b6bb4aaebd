import { randomUUID } from "node:crypto";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { z } from "zod";
import type { Logger } from "./logger.js";
import { type FieldError, type Problem, ProblemError, problemResponse, problemTypes } from "./problem.js";

export const MAX_BODY_BYTES = 64 * 1024;

export interface RequestVariables {
  requestId: string;
  logger: Logger;
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
 * a body limit, health endpoints, and the one place errors become problem+json.
 */
export function createHttpApp<Env extends { Variables: RequestVariables }>(options: {
  logger: Logger;
  mapError?: ErrorMapper;
  readiness?: readonly ReadinessCheck[];
  onResponse?: (c: Context<Env>, durationMs: number) => void;
}): Hono<Env> {
  const app = new Hono<Env>();

  const requestContext: MiddlewareHandler<Env> = async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.set("logger", options.logger.child({ requestId }));
    c.header("x-request-id", requestId);
    const started = performance.now();
    await next();
    const durationMs = performance.now() - started;
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

  app.use("*", requestContext);
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "same-origin" }));
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

  app.notFound((c) =>
    problemResponse(c, { ...problemTypes.notFound, detail: `No route for ${c.req.method} ${c.req.path}.` }),
  );

  app.onError((error, c) => {
    if (error instanceof ProblemError) {
      const headers: Record<string, string> =
        error.status === 401 ? { "www-authenticate": 'Bearer realm="stocksaga"' } : {};
      return problemResponse(c, error.problem, headers);
    }
    const mapped = options.mapError?.(error);
    if (mapped) return problemResponse(c, mapped);
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
