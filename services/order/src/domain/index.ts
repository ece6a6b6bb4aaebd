export type {
  AnsweredLine,
  CancelOrder,
  CommittedLine,
  OrderCommand,
  PlaceOrder,
  RecordReservationExpired,
  RecordStockCommitted,
  RecordStockRejected,
  RecordStockRequestAnswered,
  RecordStockReserved,
  RejectForTimeout,
} from "./commands.js";
export { decide } from "./decide.js";
export {
  type FieldError,
  InconsistentStockMessage,
  InvalidOrder,
  OrderAlreadyPlaced,
  OrderDomainError,
  OrderNotCancellable,
  OrderNotFound,
} from "./errors.js";
export type {
  AdjustedLine,
  LineRejected,
  LineReserved,
  OrderAdjusted,
  OrderCancelled,
  OrderConfirmed,
  OrderEvent,
  OrderPlaced,
  OrderRejected,
} from "./events.js";
export { evolve } from "./evolve.js";
export {
  type Cancellation,
  DEFAULT_FULFILMENT,
  type Fulfilment,
  initialState,
  type LineStatus,
  type NoOrder,
  type Order,
  type OrderLine,
  type OrderRejectionReason,
  type OrderState,
  type OrderStatus,
  type RequestedLine,
  type StockRejectionReason,
} from "./order.js";
export { ORDER_LIMITS, validatePlaceOrder } from "./validation.js";
