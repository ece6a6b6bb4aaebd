import type { InventoryEvent, StockCommitted, StockReleased } from "./events.js";
import type { InventoryState, OrderRequest, Reservation } from "./state.js";
import { type ProductStock, unreachable } from "./stock.js";

/**
 * Total: an event about a product or an order request missing from the state changes nothing of
 * it. Stock moves only with reservations that are in the state, in the status the event expects,
 * so a replayed event cannot move stock twice.
 */
export function evolve(state: InventoryState, event: InventoryEvent): InventoryState {
  switch (event.type) {
    case "ProductCreated":
      if (state.products.has(event.sku)) {
        return state;
      }
      return withProduct(state, { sku: event.sku, onHand: event.onHand, reserved: 0 });
    case "StockAdjusted":
      return changeStock(state, event.sku, (stock) => ({ ...stock, onHand: stock.onHand + event.delta }));
    case "ProductOutOfStock":
    case "StockRejected":
      return state;
    case "OrderRequestRecorded":
      if (state.orders.has(event.orderId)) {
        return state;
      }
      return withOrder(state, {
        orderId: event.orderId,
        customerId: event.customerId,
        fulfilment: event.fulfilment,
        lineCount: event.lineCount,
        status: "RESERVED",
        reservations: [],
      });
    case "UnseenOrderReleased":
      if (state.orders.has(event.orderId)) {
        return state;
      }
      // A release says nothing of the request: what a row requires gets neutral values.
      return withOrder(state, {
        orderId: event.orderId,
        customerId: "",
        fulfilment: "PARTIAL",
        lineCount: 0,
        status: "RELEASED",
        reservations: [],
      });
    case "StockReserved": {
      const order = state.orders.get(event.orderId);
      if (order === undefined || order.reservations.some((r) => r.id === event.reservationId)) {
        return state;
      }
      const reservation: Reservation = {
        id: event.reservationId,
        sku: event.sku,
        requestedQuantity: event.requestedQuantity,
        quantity: event.reservedQuantity,
        status: "ACTIVE",
        expiresAt: event.expiresAt,
      };
      const reserved = changeStock(state, event.sku, (stock) => ({
        ...stock,
        reserved: stock.reserved + event.reservedQuantity,
      }));
      return withOrder(reserved, { ...order, reservations: [...order.reservations, reservation] });
    }
    case "StockCommitted":
      return committed(state, event);
    case "StockReleased":
      return released(state, event);
    case "ReservationExpired":
      return changeReservations(state, event.orderId, (reservation, current) => {
        if (reservation.id !== event.reservationId || reservation.status !== "ACTIVE") {
          return [reservation, current];
        }
        return [{ ...reservation, status: "EXPIRED" }, unreserve(current, reservation)];
      });
    default:
      return unreachable(event);
  }
}

function committed(state: InventoryState, event: StockCommitted): InventoryState {
  const committedById = new Map(event.lines.map((line) => [line.reservationId, line.committedQuantity]));
  const next = changeReservations(state, event.orderId, (reservation, current) => {
    const quantity = committedById.get(reservation.id);
    if (quantity === undefined || reservation.status !== "ACTIVE") {
      return [reservation, current];
    }
    // The whole reservation leaves `reserved`; only what is committed leaves `onHand`.
    const unreserved = unreserve(current, reservation);
    if (quantity === 0) {
      return [{ ...reservation, status: "RELEASED" }, unreserved];
    }
    return [
      { ...reservation, status: "COMMITTED", quantity },
      changeStock(unreserved, reservation.sku, (stock) => ({ ...stock, onHand: stock.onHand - quantity })),
    ];
  });
  return withOrderStatus(next, event.orderId, "COMMITTED");
}

function released(state: InventoryState, event: StockReleased): InventoryState {
  const releasedById = new Map(event.lines.map((line) => [line.reservationId, line]));
  const next = changeReservations(state, event.orderId, (reservation, current) => {
    const line = releasedById.get(reservation.id);
    if (line === undefined) {
      return [reservation, current];
    }
    if (reservation.status === "ACTIVE" && !line.wasCommitted) {
      return [{ ...reservation, status: "RELEASED" }, unreserve(current, reservation)];
    }
    if (reservation.status === "COMMITTED" && line.wasCommitted) {
      return [
        { ...reservation, status: "RELEASED" },
        changeStock(current, reservation.sku, (stock) => ({
          ...stock,
          onHand: stock.onHand + reservation.quantity,
        })),
      ];
    }
    return [reservation, current];
  });
  return withOrderStatus(next, event.orderId, "RELEASED");
}

function unreserve(state: InventoryState, reservation: Reservation): InventoryState {
  return changeStock(state, reservation.sku, (stock) => ({
    ...stock,
    reserved: stock.reserved - reservation.quantity,
  }));
}

/** Walks the order's reservations, letting each one change itself and the stock. */
function changeReservations(
  state: InventoryState,
  orderId: string,
  change: (reservation: Reservation, state: InventoryState) => readonly [Reservation, InventoryState],
): InventoryState {
  const order = state.orders.get(orderId);
  if (order === undefined) {
    return state;
  }
  let current = state;
  const reservations = order.reservations.map((reservation) => {
    const [changed, next] = change(reservation, current);
    current = next;
    return changed;
  });
  return withOrder(current, { ...order, reservations });
}

function withOrderStatus(
  state: InventoryState,
  orderId: string,
  status: OrderRequest["status"],
): InventoryState {
  const order = state.orders.get(orderId);
  return order === undefined ? state : withOrder(state, { ...order, status });
}

function changeStock(
  state: InventoryState,
  sku: string,
  change: (stock: ProductStock) => ProductStock,
): InventoryState {
  const stock = state.products.get(sku);
  return stock === undefined ? state : withProduct(state, change(stock));
}

function withProduct(state: InventoryState, stock: ProductStock): InventoryState {
  return { ...state, products: new Map(state.products).set(stock.sku, stock) };
}

function withOrder(state: InventoryState, order: OrderRequest): InventoryState {
  return { ...state, orders: new Map(state.orders).set(order.orderId, order) };
}
