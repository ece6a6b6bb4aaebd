import type {
  Fulfilment,
  OrderRequestStatus,
  ProductStock,
  Reservation,
  ReservationStatus,
} from "../domain/index.js";
import type { Decided } from "./inventory-store.js";

/**
 * The rows one transaction writes, each table's as one list, so that a batch of any size is one
 * statement per table. Each change carries the values it was decided on (`was…`): the write is
 * conditional on them.
 */
export interface RowChanges {
  createdProducts: { sku: string; name: string; onHand: number; reserved: number }[];
  stock: { sku: string; wasOnHand: number; wasReserved: number; onHand: number; reserved: number }[];
  createdOrders: {
    orderId: string;
    customerId: string;
    fulfilment: Fulfilment;
    lineCount: number;
    status: OrderRequestStatus;
  }[];
  orderStatuses: { orderId: string; was: OrderRequestStatus; status: OrderRequestStatus }[];
  createdReservations: (Reservation & { orderId: string })[];
  reservations: { id: string; was: ReservationStatus; status: ReservationStatus; quantity: number }[];
  adjustments: { sku: string; delta: number; reason: string; actor: string; at: Date }[];
}

/**
 * The rows a decision changes. A batch folds many events into one row (an order requested, then
 * released; a product reserved by twenty orders), and one statement per table can only write each
 * row's net change: so rows come from comparing the locked state with the folded one, which is
 * also what makes a reload return exactly what `evolve` produced. What the state does not hold
 * comes from the events: a new product's name, the audit row of each adjustment.
 */
export function rowChanges({ before, after, events }: Decided): RowChanges {
  const changes: RowChanges = {
    createdProducts: [],
    stock: [],
    createdOrders: [],
    orderStatuses: [],
    createdReservations: [],
    reservations: [],
    adjustments: [],
  };
  const names = new Map<string, string>();
  for (const event of events) {
    if (event.type === "ProductCreated") names.set(event.sku, event.name);
    if (event.type === "StockAdjusted") {
      const { sku, delta, reason, actor, at } = event;
      changes.adjustments.push({ sku, delta, reason, actor, at });
    }
  }
  for (const stock of after.products.values()) {
    const previous = before.products.get(stock.sku);
    if (previous === undefined) {
      const name = names.get(stock.sku);
      if (name === undefined) throw new Error(`product ${stock.sku} appeared without a ProductCreated`);
      changes.createdProducts.push({ ...stockOf(stock), name });
    } else if (previous.onHand !== stock.onHand || previous.reserved !== stock.reserved) {
      changes.stock.push({
        sku: stock.sku,
        wasOnHand: previous.onHand,
        wasReserved: previous.reserved,
        onHand: stock.onHand,
        reserved: stock.reserved,
      });
    }
  }
  for (const [orderId, order] of after.orders) {
    const previous = before.orders.get(orderId);
    if (previous === undefined) {
      const { customerId, fulfilment, lineCount, status } = order;
      changes.createdOrders.push({ orderId, customerId, fulfilment, lineCount, status });
    } else if (previous.status !== order.status) {
      changes.orderStatuses.push({ orderId, was: previous.status, status: order.status });
    }
    const old = new Map((previous?.reservations ?? []).map((reservation) => [reservation.id, reservation]));
    for (const reservation of order.reservations) {
      const was = old.get(reservation.id);
      if (was === undefined) changes.createdReservations.push({ ...reservation, orderId });
      else if (was.status !== reservation.status || was.quantity !== reservation.quantity) {
        changes.reservations.push({
          id: reservation.id,
          was: was.status,
          status: reservation.status,
          quantity: reservation.quantity,
        });
      }
    }
  }
  return changes;
}

export function isUnchanged(changes: RowChanges): boolean {
  return Object.values(changes).every((rows: readonly unknown[]) => rows.length === 0);
}

function stockOf({ sku, onHand, reserved }: ProductStock): ProductStock {
  return { sku, onHand, reserved };
}
