import type { Context } from "hono";
import type { z } from "zod";
import { type FieldError, ProblemError } from "./problem.js";

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

/**
 * Reads a JSON body before any schema sees it: 415 for another media type, 400 for text that is
 * not JSON, 400 for strings no database column can hold. The text stays cached for the route's
 * validator.
 */
export async function readJsonText(c: Context): Promise<unknown> {
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
  return body;
}

/** Reads and validates a JSON body: 415 for another media type, 400 for bad JSON or invalid fields. */
export async function readJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const result = schema.safeParse(await readJsonText(c));
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
