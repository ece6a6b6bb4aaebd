import type {
  AdjustStock,
  CommitReservations,
  CreateProduct,
  ExpireReservation,
  InventoryCommand,
  ReleaseReservations,
  RequestLine,
  ReserveStock,
} from "./commands.js";
import {
  type FieldError,
  InconsistentOrderMessage,
  InsufficientStockForAdjustment,
  InvalidProduct,
  InvalidStockAdjustment,
  ProductAlreadyExists,
  ProductNotFound,
  ReservationNotFound,
  UnknownOrderRequest,
} from "./errors.js";
import type {
  InventoryEvent,
  OrderRequestRecorded,
  ProductOutOfStock,
  ReleasedLine,
  ReleaseReason,
  StockRejected,
  StockReserved,
} from "./events.js";
import { evolve } from "./evolve.js";
import type { Fulfilment, InventoryState, Reservation } from "./state.js";
import { available, MAX_ON_HAND, type ProductStock, unreachable } from "./stock.js";

/**
 * Pure: the same command on the same state gives the same events. A command that no longer fits
 * (a repeated request, a second commit or release, an expiry of a reservation already settled)
 * gives no events; a command that cannot be right throws an `InventoryDomainError`.
 */
export function decide(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  return withOutOfStockAlerts(state, decideChanges(command, state));
}

function decideChanges(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  switch (command.type) {
    case "ReserveStock":
      return reserveStock(command, state);
    case "CommitReservations":
      return commitReservations(command, state);
    case "ReleaseReservations":
      return releaseReservations(command, state);
    case "ExpireReservation":
      return expireReservation(command, state);
    case "AdjustStock":
      return adjustStock(command, state);
    case "CreateProduct":
      return createProduct(command, state);
    default:
      return unreachable(command);
  }
}

/** One rule for every command: a `ProductOutOfStock` follows any event that takes `available` from above 0 to 0. */
function withOutOfStockAlerts(state: InventoryState, events: readonly InventoryEvent[]): InventoryEvent[] {
  const result: InventoryEvent[] = [];
  let current = state;
  for (const event of events) {
    const next = evolve(current, event);
    result.push(event);
    for (const [sku, after] of next.products) {
      const before = current.products.get(sku);
      if (before !== undefined && available(before) > 0 && available(after) === 0) {
        const alert: ProductOutOfStock = {
          type: "ProductOutOfStock",
          sku,
          onHand: after.onHand,
          reserved: after.reserved,
          at: event.at,
        };
        result.push(alert);
      }
    }
    current = next;
  }
  return result;
}

function reserveStock(command: ReserveStock, state: InventoryState): InventoryEvent[] {
  // Answered already, or released before it was requested (a tombstone): the order service has
  // the order final either way, and stock reserved now would be held for nobody until it expired.
  if (state.orders.has(command.orderId)) {
    return [];
  }
  checkRequestLines(command);
  const recorded: OrderRequestRecorded = {
    type: "OrderRequestRecorded",
    orderId: command.orderId,
    customerId: command.customerId,
    fulfilment: command.fulfilment,
    lineCount: command.lines.length,
    at: command.now,
  };
  const expiresAt = new Date(command.now.getTime() + command.reservationTtlMs);
  const events: InventoryEvent[] = [recorded];
  let current = evolve(state, recorded);
  for (const line of command.lines) {
    const answer = answerLine(command, line, current.products.get(line.sku), expiresAt);
    events.push(answer);
    current = evolve(current, answer);
  }
  return events;
}

function checkRequestLines(command: ReserveStock): void {
  if (command.lines.length === 0) {
    throw new InconsistentOrderMessage(command.orderId, "an order request without lines");
  }
  const seen = new Set<string>();
  for (const line of command.lines) {
    if (seen.has(line.sku)) {
      throw new InconsistentOrderMessage(command.orderId, `SKU ${line.sku} appears on two lines`);
    }
    seen.add(line.sku);
    if (!isPositiveInteger(line.quantity)) {
      throw new InconsistentOrderMessage(command.orderId, `${line.quantity} units of ${line.sku}`);
    }
  }
}

function answerLine(
  command: ReserveStock,
  line: RequestLine,
  stock: ProductStock | undefined,
  expiresAt: Date,
): StockReserved | StockRejected {
  const common = {
    orderId: command.orderId,
    lineCount: command.lines.length,
    sku: line.sku,
    requestedQuantity: line.quantity,
  };
  if (stock === undefined) {
    return {
      type: "StockRejected",
      ...common,
      reason: "UNKNOWN_PRODUCT",
      availableQuantity: 0,
      at: command.now,
    };
  }
  const free = available(stock);
  const quantity = reservable(command.fulfilment, line.quantity, free);
  if (quantity < 1) {
    return {
      type: "StockRejected",
      ...common,
      reason: "INSUFFICIENT_STOCK",
      availableQuantity: free,
      at: command.now,
    };
  }
  return {
    type: "StockReserved",
    ...common,
    reservedQuantity: quantity,
    reservationId: line.reservationId,
    expiresAt,
    availableQuantity: free,
    at: command.now,
  };
}

function reservable(fulfilment: Fulfilment, requested: number, free: number): number {
  switch (fulfilment) {
    case "PARTIAL":
      return Math.min(requested, free);
    case "ALL_OR_NOTHING":
      return free >= requested ? requested : 0;
    default:
      return unreachable(fulfilment);
  }
}

function commitReservations(command: CommitReservations, state: InventoryState): InventoryEvent[] {
  const order = state.orders.get(command.orderId);
  if (order === undefined) {
    throw new UnknownOrderRequest(command.orderId);
  }
  if (order.status !== "RESERVED") {
    return [];
  }
  const confirmed = new Map<string, number>();
  for (const line of command.lines) {
    const reservation = order.reservations.find((candidate) => candidate.sku === line.sku);
    if (reservation === undefined) {
      throw new InconsistentOrderMessage(order.orderId, `confirms ${line.sku}, which holds no reservation`);
    }
    if (confirmed.has(line.sku)) {
      throw new InconsistentOrderMessage(order.orderId, `confirms ${line.sku} twice`);
    }
    if (!isPositiveInteger(line.quantity) || line.quantity > reservation.quantity) {
      throw new InconsistentOrderMessage(
        order.orderId,
        `confirms ${line.quantity} of ${line.sku}, which reserved ${reservation.quantity}`,
      );
    }
    confirmed.set(line.sku, line.quantity);
  }
  return [
    {
      type: "StockCommitted",
      orderId: order.orderId,
      lines: order.reservations.map((reservation) => ({
        reservationId: reservation.id,
        sku: reservation.sku,
        // Stock the inventory no longer holds (an expired reservation) is never committed.
        committedQuantity: reservation.status === "ACTIVE" ? (confirmed.get(reservation.sku) ?? 0) : 0,
      })),
      at: command.now,
    },
  ];
}

/**
 * A known order that was not released yet always gets exactly one `StockReleased`, with no lines
 * when it held nothing: the saga's last step is visible and the request reaches RELEASED through an
 * event like every other change. An order the inventory never saw has nothing to release, but its
 * release is remembered (a tombstone), so that its `OrderRequested`, should it come late, reserves
 * nothing: the order is already final on the order service's side.
 */
function releaseReservations(command: ReleaseReservations, state: InventoryState): InventoryEvent[] {
  const order = state.orders.get(command.orderId);
  if (order === undefined) {
    return [
      { type: "UnseenOrderReleased", orderId: command.orderId, reason: command.reason, at: command.now },
    ];
  }
  if (order.status === "RELEASED") {
    return [];
  }
  const lines = order.reservations.flatMap((reservation) => releasedLine(reservation, command.reason));
  checkReturnedUnitsFit(order.orderId, lines, state);
  return [{ type: "StockReleased", orderId: order.orderId, reason: command.reason, lines, at: command.now }];
}

/**
 * Committed units a cancellation returns must still fit `on_hand` (MAX_ON_HAND): past it the
 * database would refuse the update, and a database failure is retried without end, stalling the
 * consumer. Such a release is refused whole as an inconsistent message instead (dead-lettered with
 * nothing applied, not clamped: units would silently vanish), so it can be replayed once an
 * operator has brought the stock down. Only an adjustment to near 2^31 units between the commit
 * and the cancellation gets here.
 */
function checkReturnedUnitsFit(orderId: string, lines: readonly ReleasedLine[], state: InventoryState): void {
  const returned = new Map<string, number>();
  for (const line of lines) {
    if (line.wasCommitted) returned.set(line.sku, (returned.get(line.sku) ?? 0) + line.quantity);
  }
  for (const [sku, quantity] of returned) {
    const stock = state.products.get(sku);
    if (stock !== undefined && stock.onHand + quantity > MAX_ON_HAND) {
      throw new InconsistentOrderMessage(
        orderId,
        `returning ${quantity} units of ${sku} would take onHand ${stock.onHand} above ${MAX_ON_HAND}`,
      );
    }
  }
}

function releasedLine(reservation: Reservation, reason: ReleaseReason): ReleasedLine[] {
  const line = { reservationId: reservation.id, sku: reservation.sku, quantity: reservation.quantity };
  switch (reservation.status) {
    case "ACTIVE":
      return [{ ...line, wasCommitted: false }];
    case "COMMITTED":
      // Only a cancellation gives committed units back; a rejection after commit keeps them.
      return reason === "ORDER_CANCELLED" ? [{ ...line, wasCommitted: true }] : [];
    case "RELEASED":
    case "EXPIRED":
      return [];
    default:
      return unreachable(reservation.status);
  }
}

function expireReservation(command: ExpireReservation, state: InventoryState): InventoryEvent[] {
  const reservation = state.orders
    .get(command.orderId)
    ?.reservations.find((candidate) => candidate.id === command.reservationId);
  if (reservation === undefined) {
    throw new ReservationNotFound(command.orderId, command.reservationId);
  }
  if (reservation.status !== "ACTIVE" || command.now.getTime() <= reservation.expiresAt.getTime()) {
    return [];
  }
  return [
    {
      type: "ReservationExpired",
      orderId: command.orderId,
      reservationId: reservation.id,
      sku: reservation.sku,
      quantity: reservation.quantity,
      at: command.now,
    },
  ];
}

function adjustStock(command: AdjustStock, state: InventoryState): InventoryEvent[] {
  const errors: FieldError[] = [];
  if (!Number.isInteger(command.delta) || command.delta === 0) {
    errors.push({ field: "delta", message: "must be a whole number other than 0" });
  }
  if (command.reason.trim() === "") {
    errors.push({ field: "reason", message: "must not be empty" });
  }
  if (errors.length > 0) {
    throw new InvalidStockAdjustment(errors);
  }
  const stock = state.products.get(command.sku);
  if (stock === undefined) {
    throw new ProductNotFound(command.sku);
  }
  const onHand = stock.onHand + command.delta;
  if (onHand < stock.reserved) {
    throw new InsufficientStockForAdjustment(command.sku, command.delta, stock.onHand, stock.reserved);
  }
  return [
    {
      type: "StockAdjusted",
      sku: command.sku,
      delta: command.delta,
      reason: command.reason,
      actor: command.actor,
      onHand,
      reserved: stock.reserved,
      available: onHand - stock.reserved,
      at: command.now,
    },
  ];
}

function createProduct(command: CreateProduct, state: InventoryState): InventoryEvent[] {
  const errors: FieldError[] = [];
  if (command.sku.trim() === "") {
    errors.push({ field: "sku", message: "must not be empty" });
  }
  if (command.name.trim() === "") {
    errors.push({ field: "name", message: "must not be empty" });
  }
  if (!Number.isInteger(command.onHand) || command.onHand < 0) {
    errors.push({ field: "onHand", message: "must be a whole number, 0 or more" });
  }
  if (errors.length > 0) {
    throw new InvalidProduct(errors);
  }
  if (state.products.has(command.sku)) {
    throw new ProductAlreadyExists(command.sku);
  }
  return [
    { type: "ProductCreated", sku: command.sku, name: command.name, onHand: command.onHand, at: command.now },
  ];
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}
