import type { OrderEvent, OrderPlaced } from "./events.js";
import { type Order, type OrderLine, type OrderState, unreachable } from "./order.js";

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === "OrderPlaced") {
    return state.status === "NOT_PLACED" ? placedOrder(event) : state;
  }
  return state.status === "NOT_PLACED" ? state : evolveOrder(state, event);
}

/** `evolve` for an order that exists; `decide` uses it to look at the order one event ahead. */
export function evolveOrder(order: Order, event: OrderEvent): Order {
  switch (event.type) {
    case "OrderPlaced":
      return order;
    case "LineReserved":
      return withLine(order, event.sku, event.at, (line) => {
        const short = event.reservedQuantity < line.requestedQuantity;
        return {
          ...line,
          status: short ? "PARTIAL" : "RESERVED",
          confirmedQuantity: event.reservedQuantity,
          reservationId: event.reservationId,
          // A line is shortened only to what was available, all of it.
          availableQuantity: short ? event.reservedQuantity : null,
        };
      });
    case "LineRejected":
      return withLine(order, event.sku, event.at, (line) => ({
        ...line,
        status: "REJECTED",
        confirmedQuantity: 0,
        reason: event.reason,
        availableQuantity: event.availableQuantity,
      }));
    case "OrderConfirmed":
      return { ...order, status: "CONFIRMED", updatedAt: event.at };
    case "OrderAdjusted": {
      const confirmed = new Map(event.lines.map((line) => [line.sku, line.confirmedQuantity]));
      return {
        ...order,
        status: "ADJUSTED",
        lines: order.lines.map((line) => ({ ...line, confirmedQuantity: confirmed.get(line.sku) ?? 0 })),
        updatedAt: event.at,
      };
    }
    case "OrderRejected":
      return {
        ...order,
        status: "REJECTED",
        reason: event.reason,
        rejectionDetail: event.detail,
        updatedAt: event.at,
      };
    case "OrderCancelled":
      return {
        ...order,
        status: "CANCELLED",
        cancellation: { reason: event.reason, cancelledBy: event.cancelledBy },
        updatedAt: event.at,
      };
    default:
      return unreachable(event);
  }
}

function placedOrder(event: OrderPlaced): Order {
  return {
    status: "PENDING",
    orderId: event.orderId,
    customerId: event.customerId,
    fulfilment: event.fulfilment,
    lines: event.lines.map(
      (line): OrderLine => ({
        sku: line.sku,
        requestedQuantity: line.quantity,
        confirmedQuantity: null,
        status: "PENDING",
        reason: null,
        reservationId: null,
        availableQuantity: null,
      }),
    ),
    reason: null,
    rejectionDetail: null,
    cancellation: null,
    decisionDeadline: event.decisionDeadline,
    placedAt: event.at,
    updatedAt: event.at,
  };
}

function withLine(order: Order, sku: string, at: Date, change: (line: OrderLine) => OrderLine): Order {
  return {
    ...order,
    lines: order.lines.map((line) => (line.sku === sku ? change(line) : line)),
    updatedAt: at,
  };
}
