import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type AuthVariables,
  adminProblems,
  authenticate,
  bodyProblems,
  createRoutes,
  jsonBody,
  ProblemError,
  problem,
  type RequestVariables,
  requireAdmin,
} from "@stocksaga/platform";
import type { DeadLetterAdmin } from "./dead-letter-admin.js";

const instant = z.iso.datetime({ offset: true });

const DeadLetterSchema = z
  .object({
    id: z.string().openapi({ example: "dead-letters-0-42" }),
    reason: z.string(),
    detail: z.string(),
    origin: z.object({
      topic: z.string(),
      partition: z.number().int(),
      offset: z.number().int(),
      consumerGroup: z.string(),
    }),
    failedAt: instant,
    key: z.string().nullable().openapi({ description: "The message key as UTF-8 text, or null." }),
    payload: z.discriminatedUnion("decoded", [
      z.object({
        decoded: z.literal(true),
        schemaId: z.number().int(),
        type: z.string(),
        value: z.unknown(),
      }),
      z.object({ decoded: z.literal(false), hex: z.string(), error: z.string() }),
    ]),
    replays: z.array(z.object({ at: instant, by: z.string(), forced: z.boolean() })),
  })
  .openapi("DeadLetter");

/** Request and response shapes of the dead-letter routes (one schema each, for validation, types and the docs). */
export const deadLetterSchemas = {
  listQuery: z
    .object({ limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ type: "integer" }) })
    .strict(),
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/)
    .openapi({
      example: "dead-letters-0-42",
      param: { description: "`<dead-letters topic>-<partition>-<offset>`, as listed." },
    }),
  replayBody: z
    .object({
      force: z.boolean().optional().openapi({ description: "Replay even if it was replayed before." }),
    })
    .strict()
    .openapi("ReplayDeadLetter"),
  view: DeadLetterSchema,
};

export type DeadLetterView = z.infer<typeof DeadLetterSchema>;

export const ALREADY_REPLAYED_PROBLEM = "urn:stocksaga:problem:already-replayed";

function notFound(id: string): ProblemError {
  return new ProblemError("notFound", `Dead letter ${id.slice(0, 100)} does not exist here.`);
}

const IdParam = z.object({ id: deadLetterSchemas.id });
const noLetter = problem("No such dead letter of this service.");

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["dead letters"],
  summary: "Dead letters of this service's consumer group, newest first (admin)",
  description:
    "Messages this service's consumer sent to the dead-letters topic, with the reason, the origin topic/partition/offset, the payload decoded by the schema registry where it decodes (hex and the error where not), and the replays so far.",
  request: { query: deadLetterSchemas.listQuery },
  responses: {
    200: {
      description: "The letters.",
      content: { "application/json": { schema: z.object({ items: z.array(DeadLetterSchema) }) } },
    },
    400: problem("An invalid limit."),
    ...adminProblems,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["dead letters"],
  summary: "One dead letter (admin)",
  request: { params: IdParam },
  responses: {
    200: { description: "The dead letter.", content: { "application/json": { schema: DeadLetterSchema } } },
    ...adminProblems,
    404: noLetter,
  },
});

const replayRoute = createRoute({
  method: "post",
  path: "/{id}/replay",
  tags: ["dead letters"],
  summary: "Replay a dead letter to its origin topic (admin)",
  description:
    'Writes the original key, value and headers (without the `dlt-*` ones, plus `dlt-replay-of: <topic>/<partition>/<offset>`) to the origin topic with acks from every in-sync replica, and records the replay. Optional body `{"force": true}`: without it, a letter replayed before is refused with 409 (`urn:stocksaga:problem:already-replayed`), decided in one statement, so two admins racing cannot both replay.',
  request: {
    params: IdParam,
    body: { required: false, content: { "application/json": { schema: deadLetterSchemas.replayBody } } },
  },
  responses: {
    202: {
      description: "Replayed; the replay is recorded on the letter.",
      content: { "application/json": { schema: z.object({ letter: DeadLetterSchema }) } },
    },
    ...bodyProblems,
    ...adminProblems,
    404: noLetter,
    409: problem("Replayed before, and force is not true."),
  },
});

/**
 * `/admin/dead-letters` (admin only), the same in every service: the letters its consumer group
 * sent to the dead-letters topic, newest first; one by id; and its replay to the origin topic.
 */
export function deadLetterRoutes(deps: {
  deadLetters: Pick<DeadLetterAdmin, "list" | "get" | "replay">;
  jwtSecret: string;
}): OpenAPIHono<{ Variables: RequestVariables & AuthVariables }> {
  const app = createRoutes<{ Variables: RequestVariables & AuthVariables }>();
  app.use("*", authenticate(deps.jwtSecret), requireAdmin);

  app.openapi(listRoute, async (c) => {
    const { limit } = c.req.valid("query");
    return c.json({ items: await deps.deadLetters.list(limit) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const letter = await deps.deadLetters.get(id);
    if (!letter) throw notFound(id);
    return c.json(letter, 200);
  });

  app.openapi({ ...replayRoute, middleware: [jsonBody({ optional: true })] }, async (c) => {
    const { id } = c.req.valid("param");
    const force = c.req.valid("json").force === true;
    const result = await deps.deadLetters.replay(id, { by: c.var.principal.customerId, force });
    switch (result.outcome) {
      case "not-found":
        throw notFound(id);
      case "already-replayed":
        throw new ProblemError(
          "conflict",
          `Dead letter ${id} was replayed before; send {"force": true} to replay it again.`,
          {
            type: ALREADY_REPLAYED_PROBLEM,
            title: "The dead letter was already replayed",
          },
        );
      case "replayed":
        c.var.logger.info({ deadLetter: id, forced: force }, "replayed a dead letter");
        return c.json({ letter: result.letter }, 202);
      default: {
        const unknown: never = result;
        throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
      }
    }
  });

  return app;
}
