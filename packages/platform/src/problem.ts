import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** One invalid field: `pointer` is a JSON Pointer into the request body (RFC 6901), or a parameter name. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details; `type` values are stable and listed in `problemTypes`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const problemType = (slug: string) => `urn:stocksaga:problem:${slug}`;

export const problemTypes = {
  validation: { type: problemType("validation-failed"), title: "The request is not valid", status: 400 },
  badRequest: { type: problemType("bad-request"), title: "The request is not valid HTTP", status: 400 },
  malformedBody: {
    type: problemType("malformed-body"),
    title: "The request body is not valid JSON",
    status: 400,
  },
  unauthenticated: { type: problemType("unauthenticated"), title: "Authentication is required", status: 401 },
  forbidden: { type: problemType("forbidden"), title: "This action needs another role", status: 403 },
  notFound: { type: problemType("not-found"), title: "The resource does not exist", status: 404 },
  methodNotAllowed: {
    type: problemType("method-not-allowed"),
    title: "The method is not allowed here",
    status: 405,
  },
  conflict: {
    type: problemType("conflict"),
    title: "The request conflicts with the current state",
    status: 409,
  },
  payloadTooLarge: {
    type: problemType("payload-too-large"),
    title: "The request body is too large",
    status: 413,
  },
  headersTooLarge: {
    type: problemType("headers-too-large"),
    title: "The request line or headers are too large",
    status: 431,
  },
  unsupportedMediaType: {
    type: problemType("unsupported-media-type"),
    title: "The request body must be application/json",
    status: 415,
  },
  rateLimited: { type: problemType("rate-limited"), title: "Too many requests", status: 429 },
  unavailable: { type: problemType("unavailable"), title: "The service is not ready", status: 503 },
  overloaded: {
    type: problemType("overloaded"),
    title: "Too much work is in flight to take this request now",
    status: 503,
  },
  internal: { type: problemType("internal"), title: "Something went wrong on our side", status: 500 },
} as const satisfies Record<string, { type: string; title: string; status: number }>;

export type ProblemKind = keyof typeof problemTypes;

/** Thrown anywhere in a request; `app.onError` turns it into a problem+json response. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(
    kind: ProblemKind,
    detail?: string,
    extensions: { errors?: FieldError[]; type?: string; title?: string; [key: string]: unknown } = {},
  ) {
    const base = problemTypes[kind];
    super(detail ?? base.title);
    this.name = "ProblemError";
    this.problem = {
      ...base,
      ...extensions,
      ...(detail !== undefined ? { detail } : {}),
    };
  }

  get status(): number {
    return this.problem.status;
  }
}

export function problemResponse(
  c: Context,
  problem: Problem,
  headers: Record<string, string> = {},
): Response {
  return c.body(JSON.stringify({ ...problem, instance: problem.instance ?? c.req.path }), {
    status: problem.status as ContentfulStatusCode,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
