import { type Hook, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Env, MiddlewareHandler } from "hono";
import { ProblemError, problemTypes } from "./problem.js";
import { fieldErrors, readJsonText } from "./validation.js";

/** RFC 9457 problem details, as every route answers its errors (`components.schemas.Problem`). */
export const ProblemSchema = z
  .object({
    type: z
      .string()
      .openapi({ description: "Stable URN of the kind of problem.", example: problemTypes.notFound.type }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().openapi({ description: "The request path." }),
    errors: z
      .array(
        z.object({
          pointer: z.string().openapi({ description: "JSON Pointer into the body, or a parameter's name." }),
          detail: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "One entry per invalid field (validation problems only)." }),
  })
  .catchall(z.unknown())
  .openapi("Problem");

/** A response whose body is a problem: the `responses` entry of a route for one error status. */
export function problem(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } } as const;
}

/** The problems the frame itself answers for a route with a JSON body. */
export const bodyProblems = {
  400: problem("The body is not JSON, or fields are invalid (listed in `errors`)."),
  413: problem("The body is over 64 KiB."),
  415: problem("The body is not application/json."),
} as const;

export const authProblems = {
  401: problem("No token, or an invalid, expired or unsigned one."),
} as const;

export const adminProblems = {
  ...authProblems,
  403: problem("The token lacks the admin role."),
} as const;

const targetDetail: Record<string, string> = {
  json: "One or more fields are invalid.",
  query: "One or more query parameters are invalid.",
  header: "One or more headers are invalid.",
};

/**
 * What every route does with a request its schemas refuse: the validation problem with one field
 * error per issue. A path parameter that breaks its pattern names nothing that can exist: 404.
 */
export function validationHook<E extends Env>(): Hook<unknown, E, string, undefined> {
  return (result, c) => {
    if (result.success) return;
    if (result.target === "param") {
      throw new ProblemError("notFound", `No resource at ${c.req.path.slice(0, 200)}.`);
    }
    const errors =
      result.target === "header"
        ? result.error.issues.map((issue) => ({
            pointer: String(issue.path[0] ?? ""),
            detail: issue.message,
          }))
        : fieldErrors(result.error);
    throw new ProblemError("validation", targetDetail[result.target] ?? "The request is not valid.", {
      errors,
    });
  };
}

/** A router of documented routes whose refused requests answer with the one validation problem. */
export function createRoutes<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({ defaultHook: validationHook<E>() });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Route middleware that reads a JSON body before the route's schema sees it: 415 for another
 * media type, 400 malformed-body for text that is not JSON, 400 for strings no database column
 * can hold. With `optional`, a request whose body is empty is taken as `{}`.
 */
export function jsonBody(options: { optional?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    // Read whatever was sent (a request built in-process may carry no Content-Length); the text
    // stays cached for the schema validator.
    if (options.optional && (await c.req.text()).trim() === "") {
      // Typed as JSON, the schema validator parses the cached text: let it read an empty object.
      // Untyped, it is skipped and the body is `{}` already.
      if (JSON_TYPE.test(c.req.header("content-type") ?? "")) {
        (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
      }
      await next();
      return;
    }
    await readJsonText(c);
    await next();
  };
}
