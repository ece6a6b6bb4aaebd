import type { OrderStatus } from "./order.js";

export interface FieldError {
  /** Dotted path into the command, as zod joins it: `lines`, `lines.2.quantity`. */
  readonly field: string;
  readonly message: string;
}

/** Every error the order domain throws; `code` is stable and is what the HTTP layer maps. */
export abstract class OrderDomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** 422: the order breaks a business rule of its own (lines, quantities, SKUs). */
export class InvalidOrder extends OrderDomainError {
  readonly code = "INVALID_ORDER";

  constructor(readonly fieldErrors: readonly FieldError[]) {
    super(`Invalid order: ${fieldErrors.map((error) => `${error.field} ${error.message}`).join("; ")}`);
  }
}

/** 409: `PlaceOrder` for an id that already has an order. */
export class OrderAlreadyPlaced extends OrderDomainError {
  readonly code = "ORDER_ALREADY_PLACED";

  constructor(readonly orderId: string) {
    super(`Order ${orderId} has already been placed`);
  }
}

/** 404: a command for an order that does not exist (or is not the one loaded). */
export class OrderNotFound extends OrderDomainError {
  readonly code = "ORDER_NOT_FOUND";

  constructor(readonly orderId: string) {
    super(`Order ${orderId} not found`);
  }
}

/** 409: cancellation of an order that was rejected. */
export class OrderNotCancellable extends OrderDomainError {
  readonly code = "ORDER_NOT_CANCELLABLE";

  constructor(
    readonly orderId: string,
    readonly status: OrderStatus,
  ) {
    super(`Order ${orderId} is ${status} and cannot be cancelled`);
  }
}

/**
 * A message from the inventory that cannot be about this order (wrong line count, a SKU the order
 * does not have, more units than requested or confirmed). Not a race: a bug or a corrupted message,
 * so the consumer should dead-letter it rather than guess.
 */
export class InconsistentStockMessage extends OrderDomainError {
  readonly code = "INCONSISTENT_STOCK_MESSAGE";

  constructor(
    readonly orderId: string,
    readonly detail: string,
  ) {
    super(`Inconsistent stock message for order ${orderId}: ${detail}`);
  }
}
