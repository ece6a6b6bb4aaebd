import type { Order, OrderEvent, OrderState } from "../domain/index.js";

/** A change of one order, told after its transaction committed (what metrics and live streams hear of). */
export interface OrderChange {
  before: OrderState;
  after: Order;
  events: readonly OrderEvent[];
}
