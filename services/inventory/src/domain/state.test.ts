import { describe, expect, it } from "vitest";
import type { InventoryCommand } from "./commands.js";
import { decide } from "./decide.js";
import {
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
import type { InventoryEvent } from "./events.js";
import { evolve } from "./evolve.js";
import { type InventoryState, inventoryState, type OrderRequest } from "./state.js";
import { available, stockViolations } from "./stock.js";
import {
  at,
  COMMITTED_HISTORY,
  CUSTOMER_ID,
  commit,
  EXPIRES_AT,
  expire,
  ORDER_ID,
  orderRequestRecorded,
  productCreated,
  RESERVED_HISTORY,
  release,
  reservationExpired,
  reservationIdFor,
  reserveStock,
  spec,
  stockCommitted,
  stockReleased,
  stockReserved,
  TTL_MS,
  unseenOrderReleased,
} from "./testing.js";

function after(...history: readonly (readonly InventoryEvent[])[]): InventoryState {
  return spec.given(history.flat()).state;
}

function stockOf(state: InventoryState, sku: string): readonly [number, number] {
  const stock = state.products.get(sku);
  if (stock === undefined) {
    throw new Error(`no ${sku} in the state`);
  }
  return [stock.onHand, stock.reserved];
}

function orderOf(state: InventoryState, orderId = ORDER_ID): OrderRequest {
  const order = state.orders.get(orderId);
  if (order === undefined) {
    throw new Error(`no ${orderId} in the state`);
  }
  return order;
}

describe("evolve", () => {
  it("starts empty", () => {
    expect(spec.given([]).state).toEqual({ products: new Map(), orders: new Map() });
  });

  it("reserves: reserved grows by the units held, the request records an ACTIVE reservation", () => {
    const state = after(RESERVED_HISTORY);
    expect(stockOf(state, "SKU-A")).toEqual([10, 2]);
    expect(stockOf(state, "SKU-B")).toEqual([5, 5]);
    expect(orderOf(state)).toEqual({
      orderId: ORDER_ID,
      customerId: CUSTOMER_ID,
      fulfilment: "PARTIAL",
      lineCount: 2,
      status: "RESERVED",
      reservations: [
        {
          id: reservationIdFor("SKU-A"),
          sku: "SKU-A",
          requestedQuantity: 2,
          quantity: 2,
          status: "ACTIVE",
          expiresAt: EXPIRES_AT,
        },
        {
          id: reservationIdFor("SKU-B"),
          sku: "SKU-B",
          requestedQuantity: 5,
          quantity: 5,
          status: "ACTIVE",
          expiresAt: EXPIRES_AT,
        },
      ],
    });
  });

  it("commits: on hand and reserved both drop by the units committed", () => {
    const state = after(COMMITTED_HISTORY);
    expect(stockOf(state, "SKU-A")).toEqual([8, 0]);
    expect(stockOf(state, "SKU-B")).toEqual([0, 0]);
    expect(orderOf(state).status).toBe("COMMITTED");
    expect(orderOf(state).reservations.map((r) => [r.status, r.quantity])).toEqual([
      ["COMMITTED", 2],
      ["COMMITTED", 5],
    ]);
  });

  it("commits fewer than reserved: the rest goes back to available; 0 committed is a release", () => {
    const state = after(RESERVED_HISTORY, [
      stockCommitted([
        ["SKU-A", 1],
        ["SKU-B", 0],
      ]),
    ]);
    expect(stockOf(state, "SKU-A")).toEqual([9, 0]);
    expect(stockOf(state, "SKU-B")).toEqual([5, 0]);
    expect(orderOf(state).reservations.map((r) => [r.status, r.quantity])).toEqual([
      ["COMMITTED", 1],
      ["RELEASED", 5],
    ]);
  });

  it("leaves an expired reservation alone when committing", () => {
    const state = after(RESERVED_HISTORY, [
      reservationExpired("SKU-B", 5),
      stockCommitted([
        ["SKU-A", 2],
        ["SKU-B", 0],
      ]),
    ]);
    expect(stockOf(state, "SKU-B")).toEqual([5, 0]);
    expect(orderOf(state).reservations.map((r) => r.status)).toEqual(["COMMITTED", "EXPIRED"]);
  });

  it("expires: reserved drops, on hand stays", () => {
    const state = after(RESERVED_HISTORY, [reservationExpired("SKU-B", 5)]);
    expect(stockOf(state, "SKU-B")).toEqual([5, 0]);
    expect(orderOf(state).reservations.map((r) => r.status)).toEqual(["ACTIVE", "EXPIRED"]);
  });

  it("releases active reservations from reserved and committed ones back on hand", () => {
    const active = after(RESERVED_HISTORY, [
      stockReleased("ORDER_REJECTED", [
        ["SKU-A", 2, false],
        ["SKU-B", 5, false],
      ]),
    ]);
    expect([stockOf(active, "SKU-A"), stockOf(active, "SKU-B")]).toEqual([
      [10, 0],
      [5, 0],
    ]);
    expect(orderOf(active).status).toBe("RELEASED");
    const returned = after(COMMITTED_HISTORY, [
      stockReleased("ORDER_CANCELLED", [
        ["SKU-A", 2, true],
        ["SKU-B", 5, true],
      ]),
    ]);
    expect([stockOf(returned, "SKU-A"), stockOf(returned, "SKU-B")]).toEqual([
      [10, 0],
      [5, 0],
    ]);
    expect(orderOf(returned).reservations.map((r) => r.status)).toEqual(["RELEASED", "RELEASED"]);
  });

  it("marks the request RELEASED even when nothing was released", () => {
    expect(orderOf(after(COMMITTED_HISTORY, [stockReleased("ORDER_REJECTED", [])])).status).toBe("RELEASED");
  });

  it("adjusts on hand by the delta", () => {
    const state = after(RESERVED_HISTORY, [
      {
        type: "StockAdjusted",
        sku: "SKU-A",
        delta: -3,
        reason: "recount",
        actor: "admin-1",
        onHand: 7,
        reserved: 2,
        available: 5,
        at: at(1),
      },
    ]);
    expect(stockOf(state, "SKU-A")).toEqual([7, 2]);
  });

  it("cannot move stock twice with a replayed event", () => {
    const commitEvent = stockCommitted([
      ["SKU-A", 2],
      ["SKU-B", 5],
    ]);
    const released = stockReleased("ORDER_CANCELLED", [["SKU-A", 2, true]]);
    expect(after(COMMITTED_HISTORY, [commitEvent])).toEqual(after(COMMITTED_HISTORY));
    expect(after(COMMITTED_HISTORY, [released, released])).toEqual(after(COMMITTED_HISTORY, [released]));
    expect(after(RESERVED_HISTORY, [stockReserved("SKU-A", 2, 2, 10)])).toEqual(after(RESERVED_HISTORY));
    expect(after(RESERVED_HISTORY, [reservationExpired("SKU-A", 2), reservationExpired("SKU-A", 2)])).toEqual(
      after(RESERVED_HISTORY, [reservationExpired("SKU-A", 2)]),
    );
    expect(after(RESERVED_HISTORY, [productCreated("SKU-A", 99), orderRequestRecorded(7)])).toEqual(
      after(RESERVED_HISTORY),
    );
  });

  it("ignores what it does not hold: an unknown order, a product not loaded", () => {
    expect(after([productCreated("SKU-A", 10), stockReserved("SKU-A", 2, 2, 10)])).toEqual(
      after([productCreated("SKU-A", 10)]),
    );
    const withoutProducts = after([
      orderRequestRecorded(1),
      stockReserved("SKU-A", 2, 2, 0, { lineCount: 1 }),
    ]);
    expect(withoutProducts.products.size).toBe(0);
    expect(orderOf(withoutProducts).reservations).toHaveLength(1);
  });
});

describe("an order released before it was requested", () => {
  it("is a tombstone: a RELEASED order request with no lines and no reservations, and no stock moved", () => {
    const state = after([productCreated("SKU-A", 10), unseenOrderReleased("ORDER_CANCELLED")]);
    expect(orderOf(state)).toEqual({
      orderId: ORDER_ID,
      customerId: "",
      fulfilment: "PARTIAL",
      lineCount: 0,
      status: "RELEASED",
      reservations: [],
    });
    expect(stockOf(state, "SKU-A")).toEqual([10, 0]);
  });

  it("changes nothing of an order the inventory had seen", () => {
    expect(after(RESERVED_HISTORY, [unseenOrderReleased("ORDER_CANCELLED")])).toEqual(
      after(RESERVED_HISTORY),
    );
  });

  it("reserves nothing when loaded back as a row (what the application gives decide)", () => {
    const tombstone = orderOf(after([unseenOrderReleased("ORDER_REJECTED")]));
    const state = inventoryState({
      products: [{ sku: "SKU-A", onHand: 10, reserved: 0 }],
      orders: [tombstone],
    });
    expect(decide(reserveStock([["SKU-A", 2]]), state)).toEqual([]);
  });
});

describe("inventoryState, from loaded rows", () => {
  it("holds the products and orders it is given", () => {
    const order = orderOf(after(RESERVED_HISTORY));
    const state = inventoryState({
      products: [
        { sku: "SKU-A", onHand: 10, reserved: 2 },
        { sku: "SKU-B", onHand: 5, reserved: 5 },
      ],
      orders: [order],
    });
    expect(state).toEqual(after(RESERVED_HISTORY));
    expect(
      decide(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
        state,
      ),
    ).toEqual([
      stockCommitted([
        ["SKU-A", 2],
        ["SKU-B", 5],
      ]),
    ]);
    expect(inventoryState({})).toEqual(spec.given([]).state);
  });

  it.each([
    [{ sku: "SKU-A", onHand: 1, reserved: 2 }, "onHand 1 is below reserved 2"],
    [{ sku: "SKU-A", onHand: 1, reserved: -1 }, "reserved -1 is negative"],
    [{ sku: "SKU-A", onHand: 1.5, reserved: 0 }, "onHand and reserved must be whole numbers"],
  ])("refuses a snapshot breaking the invariant: %o", (stock, violation) => {
    expect(() => inventoryState({ products: [stock] })).toThrow(StockInvariantViolated);
    expect(stockViolations(stock)).toEqual([violation]);
  });
});

describe("available", () => {
  it("is on hand minus reserved", () => {
    expect(available({ sku: "SKU-A", onHand: 10, reserved: 3 })).toBe(7);
    expect(available({ sku: "SKU-A", onHand: 3, reserved: 3 })).toBe(0);
    expect(stockViolations({ sku: "SKU-A", onHand: 0, reserved: 0 })).toEqual([]);
  });
});

describe("the stock invariant", () => {
  it("holds after every step of a run through every command", () => {
    const steps: InventoryCommand[] = [
      { type: "CreateProduct", sku: "SKU-A", name: "A", onHand: 10, now: at(0) },
      { type: "CreateProduct", sku: "SKU-B", name: "B", onHand: 4, now: at(0) },
      reserveStock(
        [
          ["SKU-A", 6],
          ["SKU-B", 5],
        ],
        { orderId: "order-1" },
      ),
      reserveStock(
        [
          ["SKU-A", 6],
          ["SKU-B", 1],
        ],
        { orderId: "order-2", fulfilment: "ALL_OR_NOTHING" },
      ),
      reserveStock([["SKU-A", 6]], { orderId: "order-3" }),
      expire("SKU-B", at(TTL_MS + 1), { orderId: "order-1" }),
      commit(
        [
          ["SKU-A", 6],
          ["SKU-B", 4],
        ],
        { orderId: "order-1" },
      ),
      release("ORDER_REJECTED", { orderId: "order-2" }),
      { type: "AdjustStock", sku: "SKU-B", delta: 3, reason: "delivery", actor: "admin", now: at(7) },
      commit([["SKU-A", 2]], { orderId: "order-3" }),
      release("ORDER_CANCELLED", { orderId: "order-1" }),
      release("ORDER_CANCELLED", { orderId: "order-3" }),
    ];
    let state = spec.given([]).state;
    for (const command of steps) {
      for (const event of decide(command, state)) {
        state = evolve(state, event);
      }
      for (const stock of state.products.values()) {
        expect(stockViolations(stock), `${command.type} on ${stock.sku}`).toEqual([]);
      }
    }
    // Everything reserved was released or committed, and every commit was cancelled back.
    expect(stockOf(state, "SKU-A")).toEqual([10, 0]);
    expect(stockOf(state, "SKU-B")).toEqual([7, 0]);
    expect([...state.orders.values()].map((order) => order.status)).toEqual([
      "RELEASED",
      "RELEASED",
      "RELEASED",
    ]);
  });
});

describe("errors", () => {
  it.each([
    [new ProductNotFound("SKU-A"), "PRODUCT_NOT_FOUND"],
    [new ProductAlreadyExists("SKU-A"), "PRODUCT_ALREADY_EXISTS"],
    [new InvalidProduct([{ field: "sku", message: "must not be empty" }]), "INVALID_PRODUCT"],
    [new InvalidStockAdjustment([{ field: "delta", message: "x" }]), "INVALID_STOCK_ADJUSTMENT"],
    [new InsufficientStockForAdjustment("SKU-A", -5, 3, 1), "INSUFFICIENT_STOCK_FOR_ADJUSTMENT"],
    [new UnknownOrderRequest(ORDER_ID), "UNKNOWN_ORDER_REQUEST"],
    [new ReservationNotFound(ORDER_ID, "r"), "RESERVATION_NOT_FOUND"],
    [new InconsistentOrderMessage(ORDER_ID, "x"), "INCONSISTENT_ORDER_MESSAGE"],
    [new StockInvariantViolated("SKU-A", ["x"]), "STOCK_INVARIANT_VIOLATED"],
  ])("%o has the stable code %s and the class name", (error, code) => {
    expect(error).toBeInstanceOf(InventoryDomainError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
  });

  it("says what is wrong in the message", () => {
    expect(new InsufficientStockForAdjustment("SKU-A", -5, 3, 1).message).toBe(
      "Adjusting SKU-A by -5 would leave -2 on hand, below the 1 reserved",
    );
  });
});
