import { describe, it } from "vitest";
import { InconsistentStockMessage, OrderNotCancellable } from "./errors.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  cancelOrder,
  committed,
  lineRejected,
  lineReserved,
  ORDER_ID,
  orderAdjusted,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  orderRejected,
  spec,
  stockCommitted,
} from "./testing.js";

describe("RecordStockCommitted", () => {
  it("changes nothing when everything confirmed was committed", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 2), committed("SKU-B", 5)]))
      .thenEmits([]);
    spec
      .given(ADJUSTED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 2), committed("SKU-B", 3)]))
      .thenEmits([]);
  });

  it("adjusts a CONFIRMED order to what was really committed", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 2), committed("SKU-B", 0)]))
      .thenEmits([orderAdjusted([{ sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 }], at(3))]);
  });

  it("adjusts an ADJUSTED order again when less was committed", () => {
    spec
      .given(ADJUSTED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 0), committed("SKU-B", 3)]))
      .thenEmits([orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 }], at(3))]);
  });

  it("counts a confirmed line missing from the commit as nothing committed", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-B", 5)]))
      .thenEmits([orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 5 }], at(3))]);
  });

  it("rejects with NOT_HONOURED when nothing was committed", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 0), committed("SKU-B", 0)]))
      .thenEmits([
        orderRejected("NOT_HONOURED", "The inventory committed none of the confirmed units", at(3)),
      ]);
    spec
      .given(ADJUSTED_HISTORY)
      .when(stockCommitted([]))
      .thenEmits([
        orderRejected("NOT_HONOURED", "The inventory committed none of the confirmed units", at(3)),
      ]);
  });

  it("adjusts an ALL_OR_NOTHING order too: committed units are not given back by a rejection", () => {
    spec
      .given([
        orderPlaced(undefined, "ALL_OR_NOTHING"),
        lineReserved("SKU-A", 2),
        lineReserved("SKU-B", 5),
        orderConfirmed(),
      ])
      .when(stockCommitted([committed("SKU-A", 2), committed("SKU-B", 0)]))
      .thenEmits([orderAdjusted([{ sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 }], at(3))]);
  });

  it("is idempotent: the same commit after the reconciliation changes nothing", () => {
    const commit = stockCommitted([committed("SKU-A", 2), committed("SKU-B", 0)]);
    spec
      .given([
        ...CONFIRMED_HISTORY,
        orderAdjusted([{ sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 }]),
      ])
      .when(commit)
      .thenEmits([]);
    spec
      .given([...CONFIRMED_HISTORY, orderRejected("NOT_HONOURED", "none")])
      .when(stockCommitted([committed("SKU-A", 0), committed("SKU-B", 0)]))
      .thenEmits([]);
  });

  it("is ignored when the order is not CONFIRMED or ADJUSTED", () => {
    const commit = stockCommitted([committed("SKU-A", 1)]);
    spec.given([orderPlaced()]).when(commit).thenEmits([]);
    spec
      .given([...CONFIRMED_HISTORY, orderCancelled()])
      .when(commit)
      .thenEmits([]);
    spec
      .given([
        orderPlaced(),
        lineReserved("SKU-A", 2),
        lineRejected("SKU-B", 0),
        orderRejected("TIMEOUT", "late"),
      ])
      .when(commit)
      .thenEmits([]);
  });

  it("is a domain error for a SKU the order does not have", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-Z", 1)]))
      .thenThrows(InconsistentStockMessage, { detail: "SKU SKU-Z is not in the order" });
  });

  it("is a domain error to commit more than was confirmed", () => {
    spec
      .given(ADJUSTED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 2), committed("SKU-B", 4)]))
      .thenThrows(InconsistentStockMessage, { detail: "committed 4 of SKU-B, more than the 3 confirmed" });
  });

  it("is a domain error to commit a negative or fractional quantity", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-A", -1)]))
      .thenThrows(InconsistentStockMessage, { detail: "committed -1 of SKU-A, not a whole number of units" });
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockCommitted([committed("SKU-A", 0.5)]))
      .thenThrows(InconsistentStockMessage);
  });
});

describe("CancelOrder", () => {
  it("cancels a PENDING order", () => {
    spec.given([orderPlaced()]).when(cancelOrder()).thenEmits([orderCancelled()]);
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(cancelOrder())
      .thenEmits([orderCancelled()]);
  });

  it("cancels a CONFIRMED order", () => {
    spec.given(CONFIRMED_HISTORY).when(cancelOrder()).thenEmits([orderCancelled()]);
  });

  it("cancels an ADJUSTED order", () => {
    spec.given(ADJUSTED_HISTORY).when(cancelOrder()).thenEmits([orderCancelled()]);
  });

  it("does nothing, without error, for an order already cancelled", () => {
    spec
      .given([orderPlaced(), orderCancelled()])
      .when(cancelOrder(at(9)))
      .thenEmits([]);
  });

  it("refuses a rejected order with OrderNotCancellable", () => {
    spec
      .given([orderPlaced(), orderRejected("TIMEOUT", "late")])
      .when(cancelOrder())
      .thenThrows(OrderNotCancellable, {
        code: "ORDER_NOT_CANCELLABLE",
        orderId: ORDER_ID,
        status: "REJECTED",
      });
  });
});
