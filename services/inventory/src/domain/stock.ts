/** A product's stock as the caller locked it. */
export interface ProductStock {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
}

/** `on_hand` is a PostgreSQL integer: no decision may take a product's units on hand past it. */
export const MAX_ON_HAND = 2_147_483_647;

/** Units free to reserve. Never negative while the invariant holds, and every decision keeps it. */
export function available(stock: ProductStock): number {
  return stock.onHand - stock.reserved;
}

/**
 * What is wrong with a stock snapshot, empty when nothing is: whole units, `reserved >= 0`,
 * `onHand >= reserved` (so `onHand >= 0` and `available >= 0`). The database CHECKs say the same.
 */
export function stockViolations(stock: ProductStock): string[] {
  const violations: string[] = [];
  if (!Number.isInteger(stock.onHand) || !Number.isInteger(stock.reserved)) {
    violations.push("onHand and reserved must be whole numbers");
  }
  if (stock.reserved < 0) {
    violations.push(`reserved ${stock.reserved} is negative`);
  }
  if (stock.onHand < stock.reserved) {
    violations.push(`onHand ${stock.onHand} is below reserved ${stock.reserved}`);
  }
  return violations;
}

export function unreachable(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
