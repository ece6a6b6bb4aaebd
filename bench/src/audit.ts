import type { Databases } from "./observe.js";

export interface StockAudit {
  /** Units sold beyond what the inventory held: must be 0. */
  oversoldUnits: number;
  /** Whether every order had settled (nothing pending, nothing in flight) when audited. */
  settled: boolean;
  seededUnits: number;
  /** Units customers were told they have (lines of CONFIRMED and ADJUSTED orders). */
  confirmedUnits: number;
  /** Units that left the stock (seeded minus on hand now). */
  committedUnits: number;
  /** Units in COMMITTED reservations: should equal committedUnits. */
  committedReservationUnits: number;
  reservedUnits: number;
  /** The parts of oversoldUnits. */
  violations: {
    reservedBeyondOnHand: number;
    negativeStock: number;
    committedBeyondSeeded: number;
    confirmedBeyondSeeded: number;
    confirmedNotCommitted: number;
  };
}

/**
 * Stock never oversold, checked three ways over the run's SKUs: the inventory's own rows
 * (reserved within on hand, nothing negative), what left the stock against what was seeded, and
 * what the order service confirmed to customers against what the inventory committed (per SKU;
 * only once everything has settled, as a commit follows its confirmation).
 */
export async function auditStock(options: {
  databases: Databases;
  seeded: ReadonlyMap<string, number>;
  customers: readonly string[];
  settled: boolean;
}): Promise<StockAudit> {
  const skus = [...options.seeded.keys()];
  const { rows: products } = await options.databases.inventory.query<{
    sku: string;
    on_hand: number;
    reserved: number;
  }>("select sku, on_hand, reserved from products where sku = any($1)", [skus]);
  const { rows: committedRows } = await options.databases.inventory.query<{ sku: string; units: string }>(
    `select sku, sum(quantity)::text as units from reservations
      where status = 'COMMITTED' and sku = any($1) group by sku`,
    [skus],
  );
  const { rows: confirmedRows } = await options.databases.order.query<{ sku: string; units: string }>(
    `select l.sku, sum(coalesce(l.confirmed_quantity, 0))::text as units
       from order_lines l join orders o on o.id = l.order_id
      where o.status in ('CONFIRMED', 'ADJUSTED') and o.customer_id = any($1)
      group by l.sku`,
    [options.customers],
  );
  const confirmed = new Map(confirmedRows.map((r) => [r.sku, Number(r.units)]));
  const committedReservations = new Map(committedRows.map((r) => [r.sku, Number(r.units)]));
  const violations = {
    reservedBeyondOnHand: 0,
    negativeStock: 0,
    committedBeyondSeeded: 0,
    confirmedBeyondSeeded: 0,
    confirmedNotCommitted: 0,
  };
  let seededUnits = 0;
  let confirmedUnits = 0;
  let committedUnits = 0;
  let reservedUnits = 0;
  for (const product of products) {
    const seeded = options.seeded.get(product.sku) ?? 0;
    const committed = seeded - product.on_hand;
    const promised = confirmed.get(product.sku) ?? 0;
    seededUnits += seeded;
    confirmedUnits += promised;
    committedUnits += committed;
    reservedUnits += product.reserved;
    violations.reservedBeyondOnHand += Math.max(0, product.reserved - product.on_hand);
    violations.negativeStock += Math.max(0, -product.on_hand) + Math.max(0, -product.reserved);
    violations.committedBeyondSeeded += Math.max(0, committed - seeded);
    violations.confirmedBeyondSeeded += Math.max(0, promised - seeded);
    if (options.settled) violations.confirmedNotCommitted += Math.max(0, promised - committed);
  }
  if (products.length !== skus.length) {
    throw new Error(`audit: ${skus.length - products.length} seeded products are missing`);
  }
  return {
    oversoldUnits: Object.values(violations).reduce((a, b) => a + b, 0),
    settled: options.settled,
    seededUnits,
    confirmedUnits,
    committedUnits,
    committedReservationUnits: [...committedReservations.values()].reduce((a, b) => a + b, 0),
    reservedUnits,
    violations,
  };
}
