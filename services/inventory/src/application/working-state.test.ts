import { describe, expect, it } from "vitest";
import {
  decide,
  evolve,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
  initialState,
  UnknownOrderRequest,
} from "../domain/index.js";
import {
  at,
  commit,
  expire,
  productCreated,
  RESERVED_HISTORY,
  release,
  reserveStock,
  TTL_MS,
} from "../domain/testing.js";
import { WorkingState } from "./working-state.js";

const START: InventoryState = [...RESERVED_HISTORY, productCreated("SKU-C", 4)].reduce(
  evolve,
  initialState(),
);

/** A run that touches the same products and orders again and again, as a batch of events does. */
const RUN: InventoryCommand[] = [
  reserveStock(
    [
      ["SKU-A", 3],
      ["SKU-C", 4],
    ],
    { orderId: "order-2" },
  ),
  reserveStock(
    [
      ["SKU-A", 5],
      ["SKU-C", 1],
    ],
    { orderId: "order-3", fulfilment: "ALL_OR_NOTHING" },
  ),
  commit([["SKU-A", 1]]),
  release("ORDER_CANCELLED", { orderId: "order-2" }),
  reserveStock([["SKU-C", 2]], { orderId: "order-4" }),
  commit([["SKU-A", 1]], { orderId: "order-9" }),
  expire("SKU-A", at(TTL_MS + 1), { orderId: "order-3" }),
  release("ORDER_REJECTED", { orderId: "order-3" }),
];

describe("WorkingState: a run of commands decided one after the other", () => {
  it("decides and ends where deciding and folding on the whole state does", () => {
    const working = new WorkingState(START);
    let whole = START;
    const decided: string[] = [];
    for (const command of RUN) {
      let expected: InventoryEvent[] | unknown;
      try {
        expected = decide(command, whole);
        whole = (expected as InventoryEvent[]).reduce(evolve, whole);
      } catch (error) {
        expected = error;
      }
      if (expected instanceof Error) expect(() => working.decide(command)).toThrow(expected);
      else {
        const events = working.decide(command);
        expect(events).toEqual(expected);
        decided.push(...events.map((event) => event.type));
      }
    }
    expect(working.state).toEqual(whole);
    expect(new Set(decided)).toEqual(
      new Set([
        "OrderRequestRecorded",
        "StockReserved",
        "StockRejected",
        "ProductOutOfStock",
        "StockCommitted",
        "StockReleased",
        "ReservationExpired",
      ]),
    );
  });

  it("leaves the state it started from as it was", () => {
    const snapshot = structuredClone(START);
    const working = new WorkingState(START);
    for (const command of RUN.slice(0, 4)) working.decide(command);
    expect(START).toEqual(snapshot);
    expect(working.state).not.toEqual(START);
  });

  it("refuses what the domain refuses, and changes nothing for it", () => {
    const working = new WorkingState(START);
    expect(() => working.decide(commit([["SKU-A", 1]], { orderId: "order-9" }))).toThrow(UnknownOrderRequest);
    expect(working.state).toEqual(START);
  });
});
