import { describe, it } from "vitest";
import type { RecordReservationExpired, RejectForTimeout } from "./commands.js";
import { InconsistentStockMessage } from "./errors.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  DEADLINE,
  lineRejected,
  lineReserved,
  ORDER_ID,
  orderCancelled,
  orderPlaced,
  orderRejected,
  reservationIdOf,
  spec,
} from "./testing.js";

function rejectForTimeout(now: Date): RejectForTimeout {
  return { type: "RejectForTimeout", orderId: ORDER_ID, now };
}

function reservationExpired(
  sku: string,
  reservationId = reservationIdOf(sku),
  now = at(20_000),
): RecordReservationExpired {
  return { type: "RecordReservationExpired", orderId: ORDER_ID, reservationId, sku, quantity: 2, now };
}

const NO_STOCK = orderRejected("NO_STOCK", "No stock for any line: SKU-A, SKU-B");

describe("RejectForTimeout", () => {
  it("rejects a PENDING order past its deadline", () => {
    spec
      .given([orderPlaced()])
      .when(rejectForTimeout(at(30_001)))
      .thenEmits([
        orderRejected(
          "TIMEOUT",
          `No decision by ${DEADLINE.toISOString()}: 2 of 2 lines unanswered`,
          at(30_001),
        ),
      ]);
  });

  it("says how many lines were still unanswered", () => {
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(rejectForTimeout(at(40_000)))
      .thenEmits([
        orderRejected(
          "TIMEOUT",
          `No decision by ${DEADLINE.toISOString()}: 1 of 2 lines unanswered`,
          at(40_000),
        ),
      ]);
  });

  it("does nothing before the deadline or exactly at it", () => {
    spec
      .given([orderPlaced()])
      .when(rejectForTimeout(at(1)))
      .thenEmits([]);
    spec.given([orderPlaced()]).when(rejectForTimeout(DEADLINE)).thenEmits([]);
  });

  it("does nothing once the order has left PENDING", () => {
    const late = rejectForTimeout(at(60_000));
    spec.given(CONFIRMED_HISTORY).when(late).thenEmits([]);
    spec.given(ADJUSTED_HISTORY).when(late).thenEmits([]);
    spec
      .given([orderPlaced(), lineRejected("SKU-A", 0), lineRejected("SKU-B", 0), NO_STOCK])
      .when(late)
      .thenEmits([]);
    spec.given([orderPlaced(), orderCancelled()]).when(late).thenEmits([]);
  });
});

describe("RecordReservationExpired", () => {
  it("rejects a still PENDING order with RESERVATION_EXPIRED", () => {
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(reservationExpired("SKU-A"))
      .thenEmits([
        orderRejected(
          "RESERVATION_EXPIRED",
          "Reservation reservation-SKU-A for SKU-A expired before the order was decided",
          at(20_000),
        ),
      ]);
  });

  it("is ignored once the order has left PENDING", () => {
    spec.given(CONFIRMED_HISTORY).when(reservationExpired("SKU-A")).thenEmits([]);
    spec.given(ADJUSTED_HISTORY).when(reservationExpired("SKU-B")).thenEmits([]);
    spec
      .given([...CONFIRMED_HISTORY, orderCancelled()])
      .when(reservationExpired("SKU-A"))
      .thenEmits([]);
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2), orderRejected("TIMEOUT", "No decision", at(31_000))])
      .when(reservationExpired("SKU-A"))
      .thenEmits([]);
  });

  it("is a domain error for a SKU the order does not have", () => {
    spec
      .given([orderPlaced()])
      .when(reservationExpired("SKU-Z"))
      .thenThrows(InconsistentStockMessage, { detail: "SKU SKU-Z is not in the order" });
  });

  it("is a domain error for a reservation the line does not hold", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(reservationExpired("SKU-A", "reservation-other"))
      .thenThrows(InconsistentStockMessage, {
        detail: "reservation reservation-other expired for SKU-A, which holds reservation-SKU-A",
      });
  });
});
