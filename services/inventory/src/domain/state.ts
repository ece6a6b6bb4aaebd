import { StockInvariantViolated } from "./errors.js";
import { type ProductStock, stockViolations } from "./stock.js";

export type Fulfilment = "PARTIAL" | "ALL_OR_NOTHING";
export type OrderRequestStatus = "RESERVED" | "COMMITTED" | "RELEASED";
export type ReservationStatus = "ACTIVE" | "COMMITTED" | "RELEASED" | "EXPIRED";

export interface Reservation {
  readonly id: string;
  readonly sku: string;
  readonly requestedQuantity: number;
  /** Units held; once committed, the units really committed. */
  readonly quantity: number;
  readonly status: ReservationStatus;
  readonly expiresAt: Date;
}

/**
 * The inventory's view of one order: how it answered, and what became of its reservations. An
 * order released before it was requested is a tombstone: RELEASED, 0 lines, no customer (empty).
 */
export interface OrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly fulfilment: Fulfilment;
  /** The lines of the request; 0 for a tombstone (a request always has at least one). */
  readonly lineCount: number;
  readonly status: OrderRequestStatus;
  /** At most one per SKU; none for a line that was rejected. */
  readonly reservations: readonly Reservation[];
}

/**
 * The slice of the inventory one command decides on, as the caller loaded and locked it: the
 * products it touches (a SKU missing here is an unknown product) and the order requests it needs
 * (an order id missing here is an order the inventory has not seen).
 */
export interface InventoryState {
  readonly products: ReadonlyMap<string, ProductStock>;
  readonly orders: ReadonlyMap<string, OrderRequest>;
}

export function initialState(): InventoryState {
  return { products: new Map(), orders: new Map() };
}

/** Builds a state from loaded rows, refusing a product snapshot that breaks the stock invariant. */
export function inventoryState({
  products = [],
  orders = [],
}: {
  readonly products?: Iterable<ProductStock>;
  readonly orders?: Iterable<OrderRequest>;
}): InventoryState {
  const productMap = new Map<string, ProductStock>();
  for (const product of products) {
    const violations = stockViolations(product);
    if (violations.length > 0) {
      throw new StockInvariantViolated(product.sku, violations);
    }
    productMap.set(product.sku, { sku: product.sku, onHand: product.onHand, reserved: product.reserved });
  }
  return { products: productMap, orders: new Map([...orders].map((order) => [order.orderId, order])) };
}
