import {
  decide,
  evolve,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
  type OrderRequest,
  type ProductStock,
  sliceFor,
} from "../domain/index.js";

/**
 * The state a transaction decides a run of commands on, one after the other. Each command is
 * decided and folded on its slice of the state (see `sliceFor`), which then replaces its entries:
 * the run costs what its commands touch, where folding the whole state would copy every product
 * and order at every event. The state it started from is left as it was.
 */
export class WorkingState {
  private readonly products: Map<string, ProductStock>;
  private readonly orders: Map<string, OrderRequest>;

  constructor(start: InventoryState) {
    this.products = new Map(start.products);
    this.orders = new Map(start.orders);
  }

  /** Where the commands decided so far have led. */
  get state(): InventoryState {
    return { products: this.products, orders: this.orders };
  }

  /** Decides the command on the current state and folds what it decided in; throws what decide throws. */
  decide(command: InventoryCommand): InventoryEvent[] {
    const slice = sliceFor(command, this.state);
    const events = decide(command, slice);
    if (events.length === 0) return events;
    const after = events.reduce(evolve, slice);
    for (const [sku, stock] of after.products) this.products.set(sku, stock);
    for (const [orderId, order] of after.orders) this.orders.set(orderId, order);
    return events;
  }
}
