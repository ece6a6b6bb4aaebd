import {
  type AuthVariables,
  authenticate,
  ProblemError,
  parseQuery,
  type RequestVariables,
  readJsonBody,
  requireAdmin,
} from "@stocksaga/platform";
import { Hono } from "hono";
import { z } from "zod";
import type { DeadLetterAdmin } from "./dead-letter-admin.js";

/** Request and response shapes of the dead-letter routes (one schema each, for validation and the docs). */
export const deadLetterSchemas = {
  listQuery: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict(),
  id: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/),
  replayBody: z.object({ force: z.boolean().optional() }).strict(),
  view: z.object({
    id: z.string(),
    reason: z.string(),
    detail: z.string(),
    origin: z.object({
      topic: z.string(),
      partition: z.number().int(),
      offset: z.number().int(),
      consumerGroup: z.string(),
    }),
    failedAt: z.string(),
    key: z.string().nullable(),
    payload: z.discriminatedUnion("decoded", [
      z.object({
        decoded: z.literal(true),
        schemaId: z.number().int(),
        type: z.string(),
        value: z.unknown(),
      }),
      z.object({ decoded: z.literal(false), hex: z.string(), error: z.string() }),
    ]),
    replays: z.array(z.object({ at: z.string(), by: z.string(), forced: z.boolean() })),
  }),
};

export const ALREADY_REPLAYED_PROBLEM = "urn:stocksaga:problem:already-replayed";

function notFound(id: string): ProblemError {
  return new ProblemError("notFound", `Dead letter ${id.slice(0, 100)} does not exist here.`);
}

/**
 * `/admin/dead-letters` (admin only), the same in every service: the letters its consumer group
 * sent to the dead-letters topic, newest first; one by id; and its replay to the origin topic.
 */
export function deadLetterRoutes(deps: {
  deadLetters: Pick<DeadLetterAdmin, "list" | "get" | "replay">;
  jwtSecret: string;
}): Hono<{ Variables: RequestVariables & AuthVariables }> {
  const app = new Hono<{ Variables: RequestVariables & AuthVariables }>();
  app.use("*", authenticate(deps.jwtSecret), requireAdmin);

  app.get("/", async (c) => {
    const { limit } = parseQuery(c, deadLetterSchemas.listQuery);
    return c.json({ items: await deps.deadLetters.list(limit) });
  });

  app.get("/:id", async (c) => {
    const id = c.req.param("id");
    const letter = deadLetterSchemas.id.safeParse(id).success ? await deps.deadLetters.get(id) : undefined;
    if (!letter) throw notFound(id);
    return c.json(letter);
  });

  app.post("/:id/replay", async (c) => {
    const id = c.req.param("id");
    // The body is optional: none at all means no force (the request's text is cached for readJsonBody).
    const hasBody = (await c.req.text()).trim() !== "";
    const { force } = hasBody ? await readJsonBody(c, deadLetterSchemas.replayBody) : { force: false };
    if (!deadLetterSchemas.id.safeParse(id).success) throw notFound(id);
    const result = await deps.deadLetters.replay(id, {
      by: c.var.principal.customerId,
      force: force === true,
    });
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
        c.var.logger.info({ deadLetter: id, forced: force === true }, "replayed a dead letter");
        return c.json({ letter: result.letter }, 202);
      default: {
        const unknown: never = result;
        throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
      }
    }
  });

  return app;
}

const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
const letter = { "application/json": { schema: { $ref: "#/components/schemas/DeadLetter" } } };
const idParam = {
  name: "id",
  in: "path",
  required: true,
  description: "`<dead-letters topic>-<partition>-<offset>`, as listed.",
  schema: { type: "string" },
};
const adminErrors = {
  "401": { description: "No token, or an invalid, expired or unsigned one.", content: problem },
  "403": { description: "The token lacks the admin role.", content: problem },
};

/** The routes' part of a service's OpenAPI document: its paths, and the DeadLetter schema. */
export const deadLetterOpenApi = {
  schemas: { DeadLetter: z.toJSONSchema(deadLetterSchemas.view) as Record<string, unknown> },
  paths: {
    "/admin/dead-letters": {
      get: {
        summary: "Dead letters of this service's consumer group, newest first (admin)",
        description:
          "Messages this service's consumer sent to the dead-letters topic, with the reason, the origin topic/partition/offset, the payload decoded by the schema registry where it decodes (hex and the error where not), and the replays so far.",
        parameters: [
          { name: "limit", in: "query", description: "1-500, default 50.", schema: { type: "integer" } },
        ],
        responses: {
          "200": {
            description: "{ items: DeadLetter[] }",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: { items: { type: "array", items: letter["application/json"].schema } },
                },
              },
            },
          },
          "400": { description: "An invalid limit.", content: problem },
          ...adminErrors,
        },
      },
    },
    "/admin/dead-letters/{id}": {
      get: {
        summary: "One dead letter (admin)",
        parameters: [idParam],
        responses: {
          "200": { description: "The dead letter.", content: letter },
          ...adminErrors,
          "404": { description: "No such dead letter of this service.", content: problem },
        },
      },
    },
    "/admin/dead-letters/{id}/replay": {
      post: {
        summary: "Replay a dead letter to its origin topic (admin)",
        description:
          'Writes the original key, value and headers (without the `dlt-*` ones, plus `dlt-replay-of: <topic>/<partition>/<offset>`) to the origin topic with acks from every in-sync replica, and records the replay. Optional body `{"force": true}`: without it, a letter replayed before is refused with 409 (`urn:stocksaga:problem:already-replayed`), decided in one statement, so two admins racing cannot both replay.',
        parameters: [idParam],
        requestBody: { content: { "application/json": { example: { force: true } } } },
        responses: {
          "202": {
            description: "{ letter: DeadLetter }, the replay recorded.",
            content: {
              "application/json": {
                schema: { type: "object", properties: { letter: letter["application/json"].schema } },
              },
            },
          },
          "400": { description: "An invalid body.", content: problem },
          ...adminErrors,
          "404": { description: "No such dead letter of this service.", content: problem },
          "409": { description: "Replayed before, and force is not true.", content: problem },
        },
      },
    },
  },
};
