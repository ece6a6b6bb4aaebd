import type { ErrorMapper, Problem } from "@stocksaga/platform";
import { problemTypes } from "@stocksaga/platform";
import {
  InsufficientStockForAdjustment,
  InvalidProduct,
  InvalidStockAdjustment,
  InventoryDomainError,
  ProductAlreadyExists,
  ProductNotFound,
  StockInvariantViolated,
} from "../domain/index.js";

/** `onHand` (the domain's field path) → `/onHand` (the request body's pointer). */
function pointerOf(field: string): string {
  return `/${field.split(".").join("/")}`;
}

/** The one place inventory-service errors become HTTP problems. */
export const mapInventoryError: ErrorMapper = (error): Problem | undefined => {
  if (error instanceof InvalidProduct || error instanceof InvalidStockAdjustment) {
    return {
      ...problemTypes.validation,
      detail:
        error instanceof InvalidProduct ? "The product breaks a rule." : "The adjustment breaks a rule.",
      errors: error.fieldErrors.map((e) => ({ pointer: pointerOf(e.field), detail: e.message })),
    };
  }
  if (error instanceof ProductNotFound) {
    return { ...problemTypes.notFound, detail: `Product ${error.sku} does not exist.` };
  }
  if (error instanceof ProductAlreadyExists) {
    return {
      ...problemTypes.conflict,
      type: "urn:stocksaga:problem:product-already-exists",
      title: "The product already exists",
      detail: `Product ${error.sku} already exists; adjust its stock instead.`,
      sku: error.sku,
    };
  }
  if (error instanceof InsufficientStockForAdjustment) {
    return {
      ...problemTypes.conflict,
      type: "urn:stocksaga:problem:insufficient-stock",
      title: "The adjustment would leave less on hand than is reserved",
      detail: error.message,
      sku: error.sku,
      onHand: error.onHand,
      reserved: error.reserved,
    };
  }
  // Corrupted stock is our fault, not the client's: a 500, logged with the request id.
  if (error instanceof InventoryDomainError && !(error instanceof StockInvariantViolated)) {
    return { ...problemTypes.conflict, detail: error.message };
  }
  return undefined;
};
