import { describe, it } from "vitest";
import { InconsistentOrderMessage, UnknownOrderRequest } from "./errors.js";
import type { StockAdjusted } from "./events.js";
import { MAX_ON_HAND } from "./stock.js";
import {
  at,
  COMMITTED_HISTORY,
  commit,
  orderRequestRecorded,
  productCreated,
  RESERVED_HISTORY,
  release,
  reservationExpired,
  spec,
  stockCommitted,
  stockRejected,
  stockReleased,
  stockReserved,
  unseenOrderReleased,
} from "./testing.js";

describe("CommitReservations", () => {
  it("commits every active reservation of a confirmed order in full", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        stockCommitted([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      ]);
  });

  it("commits what an adjusted order confirms", () => {
    spec
      .given([
        productCreated("SKU-A", 10),
        productCreated("SKU-B", 3),
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockReserved("SKU-B", 5, 3, 3),
      ])
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 3],
        ]),
      )
      .thenEmits([
        stockCommitted([
          ["SKU-A", 2],
          ["SKU-B", 3],
        ]),
      ]);
  });

  it("commits fewer units than reserved when the order confirms fewer (the rest is released)", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(
        commit([
          ["SKU-A", 1],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        stockCommitted([
          ["SKU-A", 1],
          ["SKU-B", 5],
        ]),
      ]);
  });

  it("commits 0 of an active reservation the order does not confirm", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(commit([["SKU-A", 2]]))
      .thenEmits([
        stockCommitted([
          ["SKU-A", 2],
          ["SKU-B", 0],
        ]),
      ]);
  });

  it("commits 0 of a reservation that expired: stock it does not hold is never committed", () => {
    spec
      .given([...RESERVED_HISTORY, reservationExpired("SKU-B", 5)])
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        stockCommitted([
          ["SKU-A", 2],
          ["SKU-B", 0],
        ]),
      ]);
  });

  it("still answers when every reservation expired, so the order can tell it was not honoured", () => {
    spec
      .given([...RESERVED_HISTORY, reservationExpired("SKU-A", 2), reservationExpired("SKU-B", 5)])
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        stockCommitted([
          ["SKU-A", 0],
          ["SKU-B", 0],
        ]),
      ]);
  });

  it("leaves out a line that was rejected and holds no reservation", () => {
    spec
      .given([
        productCreated("SKU-A", 10),
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockRejected("SKU-B", 5, "UNKNOWN_PRODUCT", 0),
      ])
      .when(commit([["SKU-A", 2]]))
      .thenEmits([stockCommitted([["SKU-A", 2]])]);
  });

  it("changes nothing for an order already committed or released", () => {
    spec
      .given(COMMITTED_HISTORY)
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([]);
    spec
      .given([
        ...RESERVED_HISTORY,
        stockReleased("ORDER_CANCELLED", [
          ["SKU-A", 2, false],
          ["SKU-B", 5, false],
        ]),
      ])
      .when(
        commit([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([]);
  });

  it("is a domain error for an order the inventory never answered", () => {
    spec
      .given([productCreated("SKU-A", 10)])
      .when(commit([["SKU-A", 2]]))
      .thenThrows(UnknownOrderRequest, { code: "UNKNOWN_ORDER_REQUEST", orderId: "order-1" });
  });

  it("changes nothing for an order released before it was requested", () => {
    spec
      .given([productCreated("SKU-A", 10), unseenOrderReleased("ORDER_CANCELLED")])
      .when(commit([["SKU-A", 2]]))
      .thenEmits([]);
  });

  it("is a domain error to confirm a SKU with no reservation", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(commit([["SKU-Z", 1]]))
      .thenThrows(InconsistentOrderMessage, { detail: "confirms SKU-Z, which holds no reservation" });
  });

  it("is a domain error to confirm a SKU twice", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(
        commit([
          ["SKU-A", 1],
          ["SKU-A", 1],
        ]),
      )
      .thenThrows(InconsistentOrderMessage, { detail: "confirms SKU-A twice" });
  });

  it.each([0, 3, 1.5])("is a domain error to confirm %s of the 2 reserved", (quantity) => {
    spec
      .given(RESERVED_HISTORY)
      .when(commit([["SKU-A", quantity]]))
      .thenThrows(InconsistentOrderMessage, { detail: `confirms ${quantity} of SKU-A, which reserved 2` });
  });
});

describe("ReleaseReservations", () => {
  it("releases the active reservations of a rejected order", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(release("ORDER_REJECTED"))
      .thenEmits([
        stockReleased("ORDER_REJECTED", [
          ["SKU-A", 2, false],
          ["SKU-B", 5, false],
        ]),
      ]);
  });

  it("releases the active reservations of an order cancelled before its decision", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(release("ORDER_CANCELLED"))
      .thenEmits([
        stockReleased("ORDER_CANCELLED", [
          ["SKU-A", 2, false],
          ["SKU-B", 5, false],
        ]),
      ]);
  });

  it("leaves out a reservation that expired", () => {
    spec
      .given([...RESERVED_HISTORY, reservationExpired("SKU-B", 5)])
      .when(release("ORDER_REJECTED"))
      .thenEmits([stockReleased("ORDER_REJECTED", [["SKU-A", 2, false]])]);
  });

  it("returns committed units to stock on a cancellation", () => {
    spec
      .given(COMMITTED_HISTORY)
      .when(release("ORDER_CANCELLED"))
      .thenEmits([
        stockReleased("ORDER_CANCELLED", [
          ["SKU-A", 2, true],
          ["SKU-B", 5, true],
        ]),
      ]);
  });

  it("returns only what was really committed", () => {
    spec
      .given([
        ...RESERVED_HISTORY,
        reservationExpired("SKU-B", 5),
        stockCommitted([
          ["SKU-A", 1],
          ["SKU-B", 0],
        ]),
      ])
      .when(release("ORDER_CANCELLED"))
      .thenEmits([stockReleased("ORDER_CANCELLED", [["SKU-A", 1, true]])]);
  });

  describe("when returning committed units would take onHand past MAX_ON_HAND (a PostgreSQL integer)", () => {
    const raisedTo = (onHand: number): StockAdjusted => ({
      type: "StockAdjusted",
      sku: "SKU-A",
      delta: onHand - 8,
      reason: "delivery",
      actor: "admin",
      onHand,
      reserved: 0,
      available: onHand,
      at: at(7),
    });

    it("refuses the whole cancellation, so it is dead-lettered with nothing applied", () => {
      spec
        .given([...COMMITTED_HISTORY, raisedTo(MAX_ON_HAND - 1)])
        .when(release("ORDER_CANCELLED"))
        .thenThrows(InconsistentOrderMessage, {
          orderId: "order-1",
          detail: `returning 2 units of SKU-A would take onHand ${MAX_ON_HAND - 1} above ${MAX_ON_HAND}`,
        });
    });

    it("returns units up to MAX_ON_HAND exactly", () => {
      spec
        .given([...COMMITTED_HISTORY, raisedTo(MAX_ON_HAND - 2)])
        .when(release("ORDER_CANCELLED"))
        .thenEmits([
          stockReleased("ORDER_CANCELLED", [
            ["SKU-A", 2, true],
            ["SKU-B", 5, true],
          ]),
        ]);
    });

    it("still releases a rejection, which returns nothing", () => {
      spec
        .given([...COMMITTED_HISTORY, raisedTo(MAX_ON_HAND)])
        .when(release("ORDER_REJECTED"))
        .thenEmits([stockReleased("ORDER_REJECTED", [])]);
    });
  });

  it("does not return committed units on a rejection", () => {
    spec
      .given(COMMITTED_HISTORY)
      .when(release("ORDER_REJECTED"))
      .thenEmits([stockReleased("ORDER_REJECTED", [])]);
  });

  it("acknowledges with no lines an order that holds nothing", () => {
    spec
      .given([
        orderRequestRecorded(2),
        stockRejected("SKU-A", 2, "UNKNOWN_PRODUCT", 0),
        stockRejected("SKU-B", 5, "UNKNOWN_PRODUCT", 0),
      ])
      .when(release("ORDER_REJECTED"))
      .thenEmits([stockReleased("ORDER_REJECTED", [])]);
  });

  it("changes nothing for an order already released", () => {
    const released = stockReleased("ORDER_REJECTED", [
      ["SKU-A", 2, false],
      ["SKU-B", 5, false],
    ]);
    spec
      .given([...RESERVED_HISTORY, released])
      .when(release("ORDER_REJECTED"))
      .thenEmits([]);
    spec
      .given([...RESERVED_HISTORY, released])
      .when(release("ORDER_CANCELLED"))
      .thenEmits([]);
  });

  it("releases nothing for an order the inventory never saw, but remembers the release (a tombstone)", () => {
    spec
      .given([productCreated("SKU-A", 10)])
      .when(release("ORDER_CANCELLED"))
      .thenEmits([unseenOrderReleased("ORDER_CANCELLED")]);
    spec
      .given([productCreated("SKU-A", 10)])
      .when(release("ORDER_REJECTED"))
      .thenEmits([unseenOrderReleased("ORDER_REJECTED")]);
  });

  it("changes nothing for an order released again after its tombstone", () => {
    spec
      .given([unseenOrderReleased("ORDER_CANCELLED")])
      .when(release("ORDER_CANCELLED"))
      .thenEmits([]);
    spec
      .given([unseenOrderReleased("ORDER_CANCELLED")])
      .when(release("ORDER_REJECTED"))
      .thenEmits([]);
  });
});
