export interface FieldError {
  /** Dotted path into the command, as zod joins it. */
  readonly field: string;
  readonly message: string;
}

/** Every error the inventory domain throws; `code` is stable and is what the HTTP layer maps. */
export abstract class InventoryDomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** 404. */
export class ProductNotFound extends InventoryDomainError {
  readonly code = "PRODUCT_NOT_FOUND";

  constructor(readonly sku: string) {
    super(`Product ${sku} not found`);
  }
}

/** 409. */
export class ProductAlreadyExists extends InventoryDomainError {
  readonly code = "PRODUCT_ALREADY_EXISTS";

  constructor(readonly sku: string) {
    super(`Product ${sku} already exists`);
  }
}

/** 422. */
export class InvalidProduct extends InventoryDomainError {
  readonly code = "INVALID_PRODUCT";

  constructor(readonly fieldErrors: readonly FieldError[]) {
    super(`Invalid product: ${describe(fieldErrors)}`);
  }
}

/** 422. */
export class InvalidStockAdjustment extends InventoryDomainError {
  readonly code = "INVALID_STOCK_ADJUSTMENT";

  constructor(readonly fieldErrors: readonly FieldError[]) {
    super(`Invalid stock adjustment: ${describe(fieldErrors)}`);
  }
}

/** 409: the adjustment would leave fewer units on hand than are reserved. */
export class InsufficientStockForAdjustment extends InventoryDomainError {
  readonly code = "INSUFFICIENT_STOCK_FOR_ADJUSTMENT";

  constructor(
    readonly sku: string,
    readonly delta: number,
    readonly onHand: number,
    readonly reserved: number,
  ) {
    super(
      `Adjusting ${sku} by ${delta} would leave ${onHand + delta} on hand, below the ${reserved} reserved`,
    );
  }
}

/** A confirmation for an order the inventory never answered: it cannot have been confirmed. */
export class UnknownOrderRequest extends InventoryDomainError {
  readonly code = "UNKNOWN_ORDER_REQUEST";

  constructor(readonly orderId: string) {
    super(`No order request ${orderId}`);
  }
}

export class ReservationNotFound extends InventoryDomainError {
  readonly code = "RESERVATION_NOT_FOUND";

  constructor(
    readonly orderId: string,
    readonly reservationId: string,
  ) {
    super(`No reservation ${reservationId} for order ${orderId}`);
  }
}

/**
 * A message from the order service that cannot be about this order (no lines, a SKU twice, a
 * quantity that is not a positive whole number, a confirmation beyond what was reserved), or that
 * cannot be applied to it at all (a cancellation returning more units than `on_hand` can hold).
 * Not a race: a bug, a corrupted message or stock beyond bounds, so the consumer should
 * dead-letter it rather than guess.
 */
export class InconsistentOrderMessage extends InventoryDomainError {
  readonly code = "INCONSISTENT_ORDER_MESSAGE";

  constructor(
    readonly orderId: string,
    readonly detail: string,
  ) {
    super(`Inconsistent order message for ${orderId}: ${detail}`);
  }
}

/** A loaded product snapshot breaks `0 <= reserved <= onHand`: corrupted data, decide nothing on it. */
export class StockInvariantViolated extends InventoryDomainError {
  readonly code = "STOCK_INVARIANT_VIOLATED";

  constructor(
    readonly sku: string,
    readonly violations: readonly string[],
  ) {
    super(`Stock of ${sku} is inconsistent: ${violations.join("; ")}`);
  }
}

function describe(fieldErrors: readonly FieldError[]): string {
  return fieldErrors.map((error) => `${error.field} ${error.message}`).join("; ");
}
