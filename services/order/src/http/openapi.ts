import { deadLetterOpenApi } from "@stocksaga/messaging";
import { type OpenApiDocument, problemJson, problemSchema } from "@stocksaga/platform";

const orderJson = { "application/json": { schema: { $ref: "#/components/schemas/Order" } } };
const orderIdParam = {
  name: "orderId",
  in: "path",
  required: true,
  description: "The order's UUID.",
  schema: { type: "string", format: "uuid" },
};
const errors = {
  "401": { description: "No token, or an invalid, expired or unsigned one.", content: problemJson },
  "404": { description: "No such order for this customer.", content: problemJson },
};

export const orderOpenApi = {
  openapi: "3.1.0",
  info: {
    title: "stocksaga order service",
    version: "1.0.0",
    description:
      'Place orders against limited stock and follow them through the saga. Every route needs `Authorization: Bearer <JWT>` (HS256; `sub` is the customer; `roles: ["admin"]` sees every order).',
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    schemas: {
      Problem: problemSchema,
      ...deadLetterOpenApi.schemas,
      Order: {
        type: "object",
        properties: {
          orderId: { type: "string", format: "uuid" },
          customerId: { type: "string" },
          status: { enum: ["PENDING", "CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"] },
          fulfilment: { enum: ["PARTIAL", "ALL_OR_NOTHING"] },
          reason: { type: ["string", "null"] },
          items: {
            type: "array",
            items: {
              type: "object",
              properties: {
                sku: { type: "string" },
                requestedQuantity: { type: "integer" },
                confirmedQuantity: { type: ["integer", "null"] },
                status: { enum: ["PENDING", "RESERVED", "PARTIAL", "REJECTED"] },
                reason: { type: ["string", "null"] },
              },
            },
          },
          decisionDeadline: { type: "string", format: "date-time" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    "/orders": {
      post: {
        summary: "Place an order",
        description:
          "1-100 items with distinct SKUs, 1-1000 units each. PARTIAL (default) accepts what is available; ALL_OR_NOTHING rejects on any shortfall. Send Idempotency-Key to make retries safe.",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: false,
            description: "1-128 visible ASCII characters; the same key and body return the same order.",
          },
        ],
        requestBody: {
          content: {
            "application/json": { example: { items: [{ sku: "A-1", quantity: 2 }], fulfilment: "PARTIAL" } },
          },
        },
        responses: {
          "202": { description: "Accepted as PENDING; Location points at the order.", content: orderJson },
          "400": { description: "Invalid body, with field errors.", content: problemJson },
          "401": errors["401"],
          "409": { description: "The Idempotency-Key was used with another body.", content: problemJson },
          "413": { description: "Body over 64 KiB.", content: problemJson },
          "415": { description: "Body is not application/json.", content: problemJson },
        },
      },
      get: {
        summary: "List your orders, newest first",
        parameters: [
          { name: "status", in: "query", description: "Only orders in this status." },
          { name: "limit", in: "query", description: "1-100, default 20." },
          { name: "cursor", in: "query", description: "nextCursor of the previous page." },
        ],
        responses: {
          "200": { description: "{ items, nextCursor }" },
          "400": { description: "Invalid query.", content: problemJson },
          "401": errors["401"],
        },
      },
    },
    "/orders/{orderId}": {
      get: {
        summary: "One order",
        parameters: [orderIdParam],
        responses: { "200": { description: "The order.", content: orderJson }, ...errors },
      },
    },
    "/orders/{orderId}/cancel": {
      post: {
        summary: "Cancel an order",
        description:
          "Allowed while PENDING, CONFIRMED or ADJUSTED; reserved and committed stock goes back. Optional body { reason }.",
        parameters: [orderIdParam],
        requestBody: { content: { "application/json": { example: { reason: "changed my mind" } } } },
        responses: {
          "202": { description: "Cancelled now.", content: orderJson },
          "200": { description: "Was already cancelled.", content: orderJson },
          "409": { description: "The order was rejected and cannot be cancelled.", content: problemJson },
          ...errors,
        },
      },
    },
    "/orders/{orderId}/events": {
      get: {
        summary: "Live status (Server-Sent Events)",
        description:
          "`event: order` with the current order first, then one per change; the stream ends after REJECTED or CANCELLED.",
        parameters: [orderIdParam],
        responses: { "200": { description: "text/event-stream" }, ...errors },
      },
    },
    "/orders/{orderId}/timeline": {
      get: {
        summary: "The saga's events for this order, in order",
        parameters: [orderIdParam],
        responses: {
          "200": {
            description:
              "{ orderId, events: [{ eventId, type, direction, topic, occurredAt, recordedAt, event }] }; topic is the Kafka topic the event travels on (null for none)",
          },
          ...errors,
        },
      },
    },
    ...deadLetterOpenApi.paths,
    "/health/live": {
      get: { summary: "Liveness", security: [], responses: { "200": { description: "UP" } } },
    },
    "/health/ready": {
      get: {
        summary: "Readiness: database, broker, registry, consumer group",
        security: [],
        responses: { "200": { description: "UP" }, "503": { description: "DOWN, with checks" } },
      },
    },
  },
} satisfies OpenApiDocument;
