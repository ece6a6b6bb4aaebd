import type {
  CancelOrder,
  OrderCommand,
  PlaceOrder,
  RecordReservationExpired,
  RecordStockCommitted,
  RecordStockRejected,
  RecordStockRequestAnswered,
  RecordStockReserved,
  RejectForTimeout,
} from "./commands.js";
import {
  InconsistentStockMessage,
  InvalidOrder,
  OrderAlreadyPlaced,
  OrderNotCancellable,
  OrderNotFound,
} from "./errors.js";
import type { LineRejected, LineReserved, OrderEvent, OrderRejected } from "./events.js";
import { evolveOrder } from "./evolve.js";
import { DEFAULT_FULFILMENT, type Order, type OrderLine, type OrderState, unreachable } from "./order.js";
import { validatePlaceOrder } from "./validation.js";

/**
 * Pure: the same command on the same state gives the same events. A command that no longer fits the
 * status (a duplicate, a late answer, a second cancellation) gives no events; a command that cannot
 * be about this order throws an `OrderDomainError`.
 */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case "PlaceOrder":
      return placeOrder(command, state);
    case "RecordStockReserved":
      return recordStockReserved(command, existing(state, command.orderId));
    case "RecordStockRejected":
      return recordStockRejected(command, existing(state, command.orderId));
    case "RecordStockRequestAnswered":
      return recordStockRequestAnswered(command, existing(state, command.orderId));
    case "RejectForTimeout":
      return rejectForTimeout(command, existing(state, command.orderId));
    case "RecordReservationExpired":
      return recordReservationExpired(command, existing(state, command.orderId));
    case "RecordStockCommitted":
      return recordStockCommitted(command, existing(state, command.orderId));
    case "CancelOrder":
      return cancelOrder(command, existing(state, command.orderId));
    default:
      return unreachable(command);
  }
}

function existing(state: OrderState, orderId: string): Order {
  if (state.status === "NOT_PLACED" || state.orderId !== orderId) {
    throw new OrderNotFound(orderId);
  }
  return state;
}

function placeOrder(command: PlaceOrder, state: OrderState): OrderEvent[] {
  if (state.status !== "NOT_PLACED") {
    throw new OrderAlreadyPlaced(command.orderId);
  }
  const errors = validatePlaceOrder(command);
  if (errors.length > 0) {
    throw new InvalidOrder(errors);
  }
  return [
    {
      type: "OrderPlaced",
      orderId: command.orderId,
      customerId: command.customerId,
      fulfilment: command.fulfilment ?? DEFAULT_FULFILMENT,
      lines: command.lines.map(({ sku, quantity }) => ({ sku, quantity })),
      decisionDeadline: new Date(command.now.getTime() + command.decisionTimeoutMs),
      at: command.now,
    },
  ];
}

function recordStockReserved(command: RecordStockReserved, order: Order): OrderEvent[] {
  const line = answeredLine(order, command);
  if (
    !Number.isInteger(command.reservedQuantity) ||
    command.reservedQuantity < 1 ||
    command.reservedQuantity > line.requestedQuantity
  ) {
    throw new InconsistentStockMessage(
      order.orderId,
      `${command.reservedQuantity} reserved for ${line.sku}, which requested ${line.requestedQuantity}`,
    );
  }
  if (order.status !== "PENDING" || line.status !== "PENDING") {
    return [];
  }
  const answer: LineReserved = {
    type: "LineReserved",
    orderId: order.orderId,
    sku: line.sku,
    reservedQuantity: command.reservedQuantity,
    reservationId: command.reservationId,
    at: command.now,
  };
  return withDecisionWhenComplete(order, answer);
}

function recordStockRejected(command: RecordStockRejected, order: Order): OrderEvent[] {
  const line = answeredLine(order, command);
  if (order.status !== "PENDING" || line.status !== "PENDING") {
    return [];
  }
  const answer: LineRejected = {
    type: "LineRejected",
    orderId: order.orderId,
    sku: line.sku,
    reason: command.reason,
    availableQuantity: command.availableQuantity,
    at: command.now,
  };
  return withDecisionWhenComplete(order, answer);
}

/**
 * Every line answered at once: the same line answers, and the same decision, as the per-line
 * events in the answer's order would give. A line already answered (by a per-line event) keeps its
 * answer; an answer for no line still pending changes nothing (a duplicate).
 */
function recordStockRequestAnswered(command: RecordStockRequestAnswered, order: Order): OrderEvent[] {
  const seen = new Set<string>();
  for (const answer of command.lines) {
    const line = answeredLine(order, { ...answer, lineCount: command.lines.length });
    if (seen.has(line.sku)) {
      throw new InconsistentStockMessage(order.orderId, `answer repeats ${line.sku}`);
    }
    seen.add(line.sku);
    checkLineAnswer(order, answer);
  }
  if (order.status !== "PENDING") {
    return [];
  }
  const answers = command.lines.flatMap((answer): (LineReserved | LineRejected)[] => {
    if (lineOf(order, answer.sku).status !== "PENDING") return [];
    if (answer.reservationId !== null) {
      return [
        {
          type: "LineReserved",
          orderId: order.orderId,
          sku: answer.sku,
          reservedQuantity: answer.reservedQuantity,
          reservationId: answer.reservationId,
          at: command.now,
        },
      ];
    }
    if (answer.reason === null) return []; // checkLineAnswer refused this already
    return [
      {
        type: "LineRejected",
        orderId: order.orderId,
        sku: answer.sku,
        reason: answer.reason,
        availableQuantity: answer.availableQuantity,
        at: command.now,
      },
    ];
  });
  return answers.length === 0 ? [] : withDecisionWhenComplete(order, ...answers);
}

/** A reserved line names its reservation and no reason; a rejected one, a reason and no reservation. */
function checkLineAnswer(order: Order, answer: RecordStockRequestAnswered["lines"][number]): void {
  const { sku, reservedQuantity, requestedQuantity, reservationId, reason } = answer;
  if (!Number.isInteger(reservedQuantity) || reservedQuantity < 0 || reservedQuantity > requestedQuantity) {
    throw new InconsistentStockMessage(
      order.orderId,
      `${reservedQuantity} reserved for ${sku}, which requested ${requestedQuantity}`,
    );
  }
  const reserved = reservedQuantity > 0;
  if (reserved !== (reservationId !== null) || reserved === (reason !== null)) {
    throw new InconsistentStockMessage(
      order.orderId,
      reserved
        ? `${sku} reserved ${reservedQuantity} with reservation ${reservationId} and reason ${reason}`
        : `${sku} reserved nothing with reservation ${reservationId} and reason ${reason}`,
    );
  }
}

/** Checks that do not depend on the status: the order's lines never change once placed. */
function answeredLine(
  order: Order,
  answer: { readonly lineCount: number; readonly sku: string; readonly requestedQuantity: number },
): OrderLine {
  if (answer.lineCount !== order.lines.length) {
    throw new InconsistentStockMessage(
      order.orderId,
      `answer counts ${answer.lineCount} lines, the order has ${order.lines.length}`,
    );
  }
  const line = lineOf(order, answer.sku);
  if (answer.requestedQuantity !== line.requestedQuantity) {
    throw new InconsistentStockMessage(
      order.orderId,
      `answer for ${line.sku} requests ${answer.requestedQuantity}, the order ${line.requestedQuantity}`,
    );
  }
  return line;
}

function lineOf(order: Order, sku: string): OrderLine {
  const line = order.lines.find((candidate) => candidate.sku === sku);
  if (line === undefined) {
    throw new InconsistentStockMessage(order.orderId, `SKU ${sku} is not in the order`);
  }
  return line;
}

function withDecisionWhenComplete(order: Order, ...answers: (LineReserved | LineRejected)[]): OrderEvent[] {
  const answered = answers.reduce(evolveOrder, order);
  const last = answers.at(-1);
  if (!last || answered.lines.some((line) => line.status === "PENDING")) {
    return answers;
  }
  return [...answers, decision(answered, last.at)];
}

/** Every line has its answer. */
function decision(order: Order, at: Date): OrderEvent {
  if (order.lines.every((line) => line.status === "RESERVED")) {
    return {
      type: "OrderConfirmed",
      orderId: order.orderId,
      lines: order.lines.map((line) => ({ sku: line.sku, quantity: line.requestedQuantity })),
      at,
    };
  }
  const held = order.lines.filter((line) => (line.confirmedQuantity ?? 0) > 0);
  if (held.length === 0) {
    return rejected(order, "NO_STOCK", `No stock for any line: ${skus(order.lines)}`, at);
  }
  if (order.fulfilment === "ALL_OR_NOTHING") {
    const short = order.lines.filter((line) => line.status !== "RESERVED");
    return rejected(order, "SHORTFALL_NOT_ALLOWED", `All or nothing, short on ${skus(short)}`, at);
  }
  return {
    type: "OrderAdjusted",
    orderId: order.orderId,
    lines: held.map((line) => ({
      sku: line.sku,
      requestedQuantity: line.requestedQuantity,
      confirmedQuantity: line.confirmedQuantity ?? 0,
    })),
    at,
  };
}

function rejectForTimeout(command: RejectForTimeout, order: Order): OrderEvent[] {
  if (order.status !== "PENDING" || command.now.getTime() <= order.decisionDeadline.getTime()) {
    return [];
  }
  const unanswered = order.lines.filter((line) => line.status === "PENDING").length;
  return [
    rejected(
      order,
      "TIMEOUT",
      `No decision by ${order.decisionDeadline.toISOString()}: ${unanswered} of ${order.lines.length} lines unanswered`,
      command.now,
    ),
  ];
}

function recordReservationExpired(command: RecordReservationExpired, order: Order): OrderEvent[] {
  const line = lineOf(order, command.sku);
  if (line.reservationId !== null && line.reservationId !== command.reservationId) {
    throw new InconsistentStockMessage(
      order.orderId,
      `reservation ${command.reservationId} expired for ${line.sku}, which holds ${line.reservationId}`,
    );
  }
  if (order.status !== "PENDING") {
    return [];
  }
  return [
    rejected(
      order,
      "RESERVATION_EXPIRED",
      `Reservation ${command.reservationId} for ${command.sku} expired before the order was decided`,
      command.now,
    ),
  ];
}

/**
 * Reconciliation: the inventory commits only what it still holds, so the order moves to what was
 * really committed. Under ALL_OR_NOTHING too: the units are committed by now, and a rejection would
 * not give them back (only a cancellation does).
 */
function recordStockCommitted(command: RecordStockCommitted, order: Order): OrderEvent[] {
  const committed = new Map<string, number>();
  for (const line of command.lines) {
    lineOf(order, line.sku);
    if (!Number.isInteger(line.committedQuantity) || line.committedQuantity < 0) {
      throw new InconsistentStockMessage(
        order.orderId,
        `committed ${line.committedQuantity} of ${line.sku}, not a whole number of units`,
      );
    }
    committed.set(line.sku, (committed.get(line.sku) ?? 0) + line.committedQuantity);
  }
  if (order.status !== "CONFIRMED" && order.status !== "ADJUSTED") {
    return [];
  }
  const outcome = order.lines.map((line) => ({
    line,
    confirmed: line.confirmedQuantity ?? 0,
    committed: committed.get(line.sku) ?? 0,
  }));
  const over = outcome.find(({ confirmed, committed }) => committed > confirmed);
  if (over !== undefined) {
    throw new InconsistentStockMessage(
      order.orderId,
      `committed ${over.committed} of ${over.line.sku}, more than the ${over.confirmed} confirmed`,
    );
  }
  if (outcome.every(({ confirmed, committed }) => committed === confirmed)) {
    return [];
  }
  const honoured = outcome.filter(({ committed }) => committed > 0);
  if (honoured.length === 0) {
    return [
      rejected(order, "NOT_HONOURED", "The inventory committed none of the confirmed units", command.now),
    ];
  }
  return [
    {
      type: "OrderAdjusted",
      orderId: order.orderId,
      lines: honoured.map(({ line, committed }) => ({
        sku: line.sku,
        requestedQuantity: line.requestedQuantity,
        confirmedQuantity: committed,
      })),
      at: command.now,
    },
  ];
}

function cancelOrder(command: CancelOrder, order: Order): OrderEvent[] {
  switch (order.status) {
    case "PENDING":
    case "CONFIRMED":
    case "ADJUSTED":
      return [
        {
          type: "OrderCancelled",
          orderId: order.orderId,
          reason: command.reason,
          cancelledBy: command.cancelledBy,
          at: command.now,
        },
      ];
    case "CANCELLED":
      return [];
    case "REJECTED":
      throw new OrderNotCancellable(order.orderId, order.status);
    default:
      return unreachable(order.status);
  }
}

function rejected(order: Order, reason: OrderRejected["reason"], detail: string, at: Date): OrderRejected {
  return { type: "OrderRejected", orderId: order.orderId, reason, detail, at };
}

function skus(lines: readonly OrderLine[]): string {
  return lines.map((line) => line.sku).join(", ");
}
