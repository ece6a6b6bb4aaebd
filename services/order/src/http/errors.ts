import type { ErrorMapper, Problem } from "@stocksaga/platform";
import { problemTypes } from "@stocksaga/platform";
import { IdempotencyKeyReused } from "../application/orders.js";
import {
  InvalidOrder,
  OrderAlreadyPlaced,
  OrderDomainError,
  OrderNotCancellable,
  OrderNotFound,
} from "../domain/index.js";

/** `lines.2.quantity` (the domain's field path) → `/items/2/quantity` (the request body's pointer). */
function pointerOf(field: string): string {
  return `/${field
    .replace(/^lines\b/, "items")
    .split(".")
    .join("/")}`;
}

/** The one place order-service errors become HTTP problems. */
export const mapOrderError: ErrorMapper = (error): Problem | undefined => {
  if (error instanceof InvalidOrder) {
    return {
      ...problemTypes.validation,
      detail: "The order breaks a rule.",
      errors: error.fieldErrors.map((e) => ({ pointer: pointerOf(e.field), detail: e.message })),
    };
  }
  if (error instanceof OrderNotFound) {
    return { ...problemTypes.notFound, detail: `Order ${error.orderId} does not exist.` };
  }
  if (error instanceof OrderNotCancellable) {
    return {
      ...problemTypes.conflict,
      type: "urn:stocksaga:problem:order-not-cancellable",
      title: "The order cannot be cancelled",
      detail: `Order ${error.orderId} is ${error.status}.`,
      orderStatus: error.status,
    };
  }
  if (error instanceof IdempotencyKeyReused) {
    return {
      ...problemTypes.conflict,
      type: "urn:stocksaga:problem:idempotency-key-reused",
      title: "The Idempotency-Key was used for another request",
      detail: "Use a new key for a different order, or resend the original body.",
    };
  }
  if (error instanceof OrderAlreadyPlaced) {
    return { ...problemTypes.conflict, detail: error.message };
  }
  if (error instanceof OrderDomainError) {
    return { ...problemTypes.conflict, detail: error.message };
  }
  return undefined;
};
