import type { InventoryCommand } from "./commands.js";
import type { InventoryState, OrderRequest } from "./state.js";
import { type ProductStock, unreachable } from "./stock.js";

/**
 * The part of `state` a command decides on: the order it names, and the products its lines name
 * or its order holds reservations of. Deciding on it gives the same events as deciding on the
 * whole state, and folding them changes only what it holds: so a run of many commands can decide
 * each on a few entries instead of copying the whole state at every event.
 */
export function sliceFor(command: InventoryCommand, state: InventoryState): InventoryState {
  const orders: OrderRequest[] = [];
  const skus: string[] = [];
  switch (command.type) {
    case "ReserveStock":
      skus.push(...command.lines.map((line) => line.sku));
      break;
    case "CommitReservations":
    case "ReleaseReservations":
    case "ExpireReservation":
      break;
    case "AdjustStock":
    case "CreateProduct":
      skus.push(command.sku);
      break;
    default:
      return unreachable(command);
  }
  if ("orderId" in command) {
    const order = state.orders.get(command.orderId);
    if (order !== undefined) {
      orders.push(order);
      skus.push(...order.reservations.map((reservation) => reservation.sku));
    }
  }
  const products = new Map<string, ProductStock>();
  for (const sku of skus) {
    const stock = state.products.get(sku);
    if (stock !== undefined) products.set(sku, stock);
  }
  return { products, orders: new Map(orders.map((order) => [order.orderId, order])) };
}
