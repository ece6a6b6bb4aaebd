export type {
  AdjustStock,
  CommitReservations,
  ConfirmedLine,
  CreateProduct,
  ExpireReservation,
  InventoryCommand,
  ReleaseReservations,
  RequestLine,
  ReserveStock,
} from "./commands.js";
export { decide } from "./decide.js";
export {
  type FieldError,
  InconsistentOrderMessage,
  InsufficientStockForAdjustment,
  InvalidProduct,
  InvalidStockAdjustment,
  InventoryDomainError,
  ProductAlreadyExists,
  ProductNotFound,
  ReservationNotFound,
  StockInvariantViolated,
  UnknownOrderRequest,
} from "./errors.js";
export type {
  CommittedLine,
  InventoryEvent,
  OrderRequestRecorded,
  ProductCreated,
  ProductOutOfStock,
  ReleasedLine,
  ReleaseReason,
  ReservationExpired,
  StockAdjusted,
  StockCommitted,
  StockRejected,
  StockRejectionReason,
  StockReleased,
  StockReserved,
  UnseenOrderReleased,
} from "./events.js";
export { evolve } from "./evolve.js";
export { sliceFor } from "./slice.js";
export {
  type Fulfilment,
  type InventoryState,
  initialState,
  inventoryState,
  type OrderRequest,
  type OrderRequestStatus,
  type Reservation,
  type ReservationStatus,
} from "./state.js";
export { available, MAX_ON_HAND, type ProductStock, stockViolations } from "./stock.js";
