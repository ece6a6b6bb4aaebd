import { describe, expect, it } from "vitest";
import type { InventoryCommand } from "./commands.js";
import { decide } from "./decide.js";
import { evolve } from "./evolve.js";
import { sliceFor } from "./slice.js";
import { type InventoryState, initialState } from "./state.js";
import {
  at,
  COMMITTED_HISTORY,
  commit,
  expire,
  orderRequestRecorded,
  productCreated,
  RESERVED_HISTORY,
  release,
  reserveStock,
  stockReserved,
  TTL_MS,
} from "./testing.js";

/** order-1 holds SKU-A and SKU-B (RESERVED_HISTORY); order-2 holds SKU-C; SKU-D is nobody's. */
const WHOLE: InventoryState = [
  ...RESERVED_HISTORY,
  productCreated("SKU-C", 4),
  productCreated("SKU-D", 7),
  orderRequestRecorded(1, { orderId: "order-2" }),
  stockReserved("SKU-C", 3, 3, 4, { orderId: "order-2", lineCount: 1 }),
].reduce(evolve, initialState());

function outcome(command: InventoryCommand, state: InventoryState) {
  try {
    return { events: decide(command, state) };
  } catch (error) {
    return { error };
  }
}

const COMMANDS: [string, InventoryCommand][] = [
  [
    "a new request, with a line of an unknown product",
    reserveStock(
      [
        ["SKU-C", 2],
        ["SKU-Z", 1],
      ],
      { orderId: "order-3" },
    ),
  ],
  ["a request answered already", reserveStock([["SKU-A", 1]])],
  [
    "a request with a SKU twice",
    reserveStock(
      [
        ["SKU-D", 1],
        ["SKU-D", 2],
      ],
      { orderId: "order-3" },
    ),
  ],
  [
    "a confirmation",
    commit([
      ["SKU-A", 2],
      ["SKU-B", 5],
    ]),
  ],
  ["a confirmation of an unknown order", commit([["SKU-A", 1]], { orderId: "order-9" })],
  ["a rejection", release("ORDER_REJECTED")],
  ["a release of an unseen order", release("ORDER_CANCELLED", { orderId: "order-9" })],
  ["an expiry", expire("SKU-A", at(TTL_MS + 1))],
  ["an expiry of a reservation that does not exist", expire("SKU-D", at(TTL_MS + 1))],
  [
    "an adjustment",
    { type: "AdjustStock", sku: "SKU-D", delta: -7, reason: "lost", actor: "admin-1", now: at(1) },
  ],
  ["a product created", { type: "CreateProduct", sku: "SKU-E", name: "E", onHand: 1, now: at(1) }],
  ["a product that exists", { type: "CreateProduct", sku: "SKU-A", name: "A", onHand: 1, now: at(1) }],
];

describe("sliceFor: what a command decides on", () => {
  it.each(COMMANDS)("%s: the same events (or error) as on the whole state", (_, command) => {
    expect(outcome(command, sliceFor(command, WHOLE))).toEqual(outcome(command, WHOLE));
  });

  it.each(COMMANDS)("%s: folded, the slice's entries are those of the whole state folded", (_, command) => {
    const decided = outcome(command, WHOLE).events ?? [];
    const whole = decided.reduce(evolve, WHOLE);
    const slice = decided.reduce(evolve, sliceFor(command, WHOLE));
    for (const [sku, stock] of slice.products) expect(whole.products.get(sku)).toEqual(stock);
    for (const [orderId, order] of slice.orders) expect(whole.orders.get(orderId)).toEqual(order);
    const changed = (state: InventoryState) => [
      ...[...state.products].filter(([sku, stock]) => WHOLE.products.get(sku) !== stock).map(([sku]) => sku),
      ...[...state.orders].filter(([id, order]) => WHOLE.orders.get(id) !== order).map(([id]) => id),
    ];
    expect(changed(slice).sort()).toEqual(changed(whole).sort());
  });

  it("holds the order and every product it names or holds, and nothing else", () => {
    const slice = sliceFor(commit([["SKU-A", 2]]), [...COMMITTED_HISTORY].reduce(evolve, WHOLE));
    expect([...slice.orders.keys()]).toEqual(["order-1"]);
    expect([...slice.products.keys()].sort()).toEqual(["SKU-A", "SKU-B"]);
  });
});
