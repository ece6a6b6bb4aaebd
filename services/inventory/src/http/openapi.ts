import { deadLetterOpenApi } from "@stocksaga/messaging";
import { type OpenApiDocument, problemJson, problemSchema } from "@stocksaga/platform";

const productJson = { "application/json": { schema: { $ref: "#/components/schemas/Product" } } };
const skuParam = {
  name: "sku",
  in: "path",
  required: true,
  description: "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
  schema: { type: "string" },
};
const adminErrors = {
  "401": { description: "No token, or an invalid, expired or unsigned one.", content: problemJson },
  "403": { description: "The token lacks the admin role.", content: problemJson },
};
const bodyErrors = {
  "400": { description: "Invalid body, with field errors (unknown fields included).", content: problemJson },
  "413": { description: "Body over 64 KiB.", content: problemJson },
  "415": { description: "Body is not application/json.", content: problemJson },
};

export const inventoryOpenApi = {
  openapi: "3.1.0",
  info: {
    title: "stocksaga inventory service",
    version: "1.0.0",
    description:
      'Products and their stock, and the reservations orders hold. Reading stock needs no token; creating products, adjusting stock and reading reservations need `Authorization: Bearer <JWT>` (HS256) with `roles: ["admin"]`.',
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    schemas: {
      Problem: problemSchema,
      ...deadLetterOpenApi.schemas,
      Product: {
        type: "object",
        properties: {
          sku: { type: "string" },
          name: { type: "string" },
          onHand: { type: "integer", minimum: 0 },
          reserved: { type: "integer", minimum: 0 },
          available: { type: "integer", minimum: 0, description: "onHand - reserved" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      Reservation: {
        type: "object",
        properties: {
          reservationId: { type: "string", format: "uuid" },
          orderId: { type: "string", format: "uuid" },
          sku: { type: "string" },
          quantity: { type: "integer" },
          status: { enum: ["ACTIVE", "COMMITTED", "RELEASED", "EXPIRED"] },
          expiresAt: { type: "string", format: "date-time" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    "/products": {
      post: {
        summary: "Create a product (admin)",
        description: "name 1-200 characters, onHand a whole number from 0 to 1,000,000.",
        requestBody: {
          content: { "application/json": { example: { sku: "SKU-RED-MUG", name: "Red mug", onHand: 25 } } },
        },
        responses: {
          "201": { description: "Created; Location points at the product.", content: productJson },
          ...bodyErrors,
          ...adminErrors,
          "409": { description: "A product with this SKU exists.", content: problemJson },
        },
      },
      get: {
        summary: "List products in SKU order",
        security: [],
        parameters: [
          { name: "limit", in: "query", description: "1-100, default 20." },
          { name: "cursor", in: "query", description: "nextCursor of the previous page." },
        ],
        responses: {
          "200": { description: "{ items, nextCursor }" },
          "400": { description: "Invalid query.", content: problemJson },
        },
      },
    },
    "/products/stream": {
      get: {
        summary: "Live catalogue (Server-Sent Events)",
        description:
          "Any valid token. `event: snapshot` first, with `{ items: Product[] }` (every product, in SKU order); then `event: product` with a Product each time a committed change (creation, adjustment, reservation, commit, release, expiry) alters it; `: keep-alive` comments every 15 s, at which the catalogue is re-read and whatever differs is sent.",
        responses: {
          "200": { description: "text/event-stream" },
          "401": { description: "No token, or an invalid, expired or unsigned one.", content: problemJson },
        },
      },
    },
    "/products/{sku}": {
      get: {
        summary: "One product's stock",
        security: [],
        parameters: [skuParam],
        responses: {
          "200": { description: "The product.", content: productJson },
          "404": { description: "No such product.", content: problemJson },
        },
      },
    },
    "/products/{sku}/adjustments": {
      post: {
        summary: "Adjust stock on hand (admin)",
        description:
          "delta a whole number other than 0 within ±1,000,000; reason 1-200 characters. Emits StockAdjusted (and ProductOutOfStock when nothing is left available).",
        parameters: [skuParam],
        requestBody: { content: { "application/json": { example: { delta: -3, reason: "damaged" } } } },
        responses: {
          "200": { description: "The product after the adjustment.", content: productJson },
          ...bodyErrors,
          ...adminErrors,
          "404": { description: "No such product.", content: problemJson },
          "409": {
            description: "The delta would leave fewer units on hand than are reserved.",
            content: problemJson,
          },
        },
      },
    },
    "/reservations": {
      get: {
        summary: "The reservations of an order (admin)",
        parameters: [
          {
            name: "orderId",
            in: "query",
            required: true,
            description: "The order's UUID.",
            schema: { type: "string", format: "uuid" },
          },
        ],
        responses: {
          "200": { description: "{ orderId, items: [Reservation] }, empty when the order holds none." },
          "400": { description: "orderId missing or not a UUID.", content: problemJson },
          ...adminErrors,
        },
      },
    },
    ...deadLetterOpenApi.paths,
    "/health/live": {
      get: { summary: "Liveness", security: [], responses: { "200": { description: "UP" } } },
    },
    "/health/ready": {
      get: {
        summary: "Readiness: database, consumer group, registry",
        security: [],
        responses: { "200": { description: "UP" }, "503": { description: "DOWN, with checks" } },
      },
    },
  },
} satisfies OpenApiDocument;
