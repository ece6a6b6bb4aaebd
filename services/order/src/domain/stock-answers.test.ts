import { describe, it } from "vitest";
import { InconsistentStockMessage } from "./errors.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  DEADLINE,
  lineRejected,
  lineReserved,
  orderAdjusted,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  orderRejected,
  spec,
  stockRejected,
  stockReserved,
} from "./testing.js";

describe("a line answer before the last one", () => {
  it("records a full reservation and decides nothing yet", () => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-A", 2, 2))
      .thenEmits([lineReserved("SKU-A", 2)]);
  });

  it("records a partial reservation", () => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-B", 5, 3))
      .thenEmits([lineReserved("SKU-B", 3)]);
  });

  it("records a rejection", () => {
    spec
      .given([orderPlaced()])
      .when(stockRejected("SKU-B", 5, 0, { reason: "UNKNOWN_PRODUCT" }))
      .thenEmits([lineRejected("SKU-B", 0, at(1), "UNKNOWN_PRODUCT")]);
  });
});

describe("the last line answer", () => {
  it("confirms when every line is reserved in full", () => {
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(stockReserved("SKU-B", 5, 5, { now: at(7) }))
      .thenEmits([lineReserved("SKU-B", 5, at(7)), orderConfirmed(undefined, at(7))]);
  });

  it("confirms a one-line order on its only answer", () => {
    const oneLine = [{ sku: "SKU-A", quantity: 2 }];
    spec
      .given([orderPlaced(oneLine)])
      .when(stockReserved("SKU-A", 2, 2, { lineCount: 1 }))
      .thenEmits([lineReserved("SKU-A", 2), orderConfirmed(oneLine)]);
  });

  it("answers in any order", () => {
    spec
      .given([orderPlaced(), lineReserved("SKU-B", 5)])
      .when(stockReserved("SKU-A", 2, 2))
      .thenEmits([lineReserved("SKU-A", 2), orderConfirmed()]);
  });

  describe("under PARTIAL", () => {
    it("adjusts to what was reserved when a line is short", () => {
      spec
        .given([orderPlaced(), lineReserved("SKU-A", 2)])
        .when(stockReserved("SKU-B", 5, 3))
        .thenEmits([
          lineReserved("SKU-B", 3),
          orderAdjusted([
            { sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 },
            { sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 },
          ]),
        ]);
    });

    it("leaves out of the adjustment a line with no unit", () => {
      spec
        .given([orderPlaced(), lineRejected("SKU-A", 0)])
        .when(stockReserved("SKU-B", 5, 3))
        .thenEmits([
          lineReserved("SKU-B", 3),
          orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 }]),
        ]);
    });

    it("adjusts when a line reserved in full sits beside a rejected one", () => {
      spec
        .given([orderPlaced(), lineReserved("SKU-A", 2)])
        .when(stockRejected("SKU-B", 5, 0))
        .thenEmits([
          lineRejected("SKU-B", 0),
          orderAdjusted([{ sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 }]),
        ]);
    });

    it("rejects with NO_STOCK when nothing was reserved", () => {
      spec
        .given([orderPlaced(), lineRejected("SKU-A", 0)])
        .when(stockRejected("SKU-B", 5, 0, { reason: "UNKNOWN_PRODUCT" }))
        .thenEmits([
          lineRejected("SKU-B", 0, at(1), "UNKNOWN_PRODUCT"),
          orderRejected("NO_STOCK", "No stock for any line: SKU-A, SKU-B"),
        ]);
    });
  });

  describe("under ALL_OR_NOTHING", () => {
    const allOrNothing = orderPlaced(undefined, "ALL_OR_NOTHING");

    it("confirms when every line is reserved in full", () => {
      spec
        .given([allOrNothing, lineReserved("SKU-A", 2)])
        .when(stockReserved("SKU-B", 5, 5))
        .thenEmits([lineReserved("SKU-B", 5), orderConfirmed()]);
    });

    it("rejects with SHORTFALL_NOT_ALLOWED when one line is rejected and another reserved", () => {
      spec
        .given([allOrNothing, lineReserved("SKU-A", 2)])
        .when(stockRejected("SKU-B", 5, 4))
        .thenEmits([
          lineRejected("SKU-B", 4),
          orderRejected("SHORTFALL_NOT_ALLOWED", "All or nothing, short on SKU-B"),
        ]);
    });

    it("treats a partly reserved line as a shortfall too", () => {
      spec
        .given([allOrNothing, lineReserved("SKU-A", 2)])
        .when(stockReserved("SKU-B", 5, 4))
        .thenEmits([
          lineReserved("SKU-B", 4),
          orderRejected("SHORTFALL_NOT_ALLOWED", "All or nothing, short on SKU-B"),
        ]);
    });

    it("rejects with NO_STOCK when nothing was reserved", () => {
      spec
        .given([allOrNothing, lineRejected("SKU-A", 1)])
        .when(stockRejected("SKU-B", 5, 4))
        .thenEmits([
          lineRejected("SKU-B", 4),
          orderRejected("NO_STOCK", "No stock for any line: SKU-A, SKU-B"),
        ]);
    });
  });
});

describe("duplicates and late answers change nothing", () => {
  it("ignores a second answer for a line already answered", () => {
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(stockReserved("SKU-A", 2, 2))
      .thenEmits([]);
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2)])
      .when(stockRejected("SKU-A", 2, 0))
      .thenEmits([]);
    spec
      .given([orderPlaced(), lineRejected("SKU-A", 0)])
      .when(stockReserved("SKU-A", 2, 1))
      .thenEmits([]);
  });

  it("ignores an answer once the order is decided", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockReserved("SKU-B", 5, 5))
      .thenEmits([]);
    spec
      .given(ADJUSTED_HISTORY)
      .when(stockReserved("SKU-B", 5, 3))
      .thenEmits([]);
  });

  it("ignores an answer for a cancelled order", () => {
    spec
      .given([orderPlaced(), orderCancelled()])
      .when(stockReserved("SKU-A", 2, 2))
      .thenEmits([]);
    spec
      .given([...CONFIRMED_HISTORY, orderCancelled()])
      .when(stockReserved("SKU-A", 2, 2))
      .thenEmits([]);
  });

  it("ignores an answer arriving after the timeout rejection", () => {
    const timedOut = orderRejected("TIMEOUT", `No decision by ${DEADLINE.toISOString()}`, at(31_000));
    spec
      .given([orderPlaced(), lineReserved("SKU-A", 2), timedOut])
      .when(stockReserved("SKU-B", 5, 5, { now: at(32_000) }))
      .thenEmits([]);
    spec
      .given([orderPlaced(), timedOut])
      .when(stockRejected("SKU-B", 5, 0, { now: at(32_000) }))
      .thenEmits([]);
  });
});

describe("an answer that cannot be about this order", () => {
  it("is a domain error when the line count differs", () => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-A", 2, 2, { lineCount: 3 }))
      .thenThrows(InconsistentStockMessage, {
        code: "INCONSISTENT_STOCK_MESSAGE",
        detail: "answer counts 3 lines, the order has 2",
      });
    spec
      .given([orderPlaced()])
      .when(stockRejected("SKU-A", 2, 0, { lineCount: 1 }))
      .thenThrows(InconsistentStockMessage, { detail: "answer counts 1 lines, the order has 2" });
  });

  it("is a domain error for a SKU the order does not have", () => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-Z", 2, 2))
      .thenThrows(InconsistentStockMessage, { detail: "SKU SKU-Z is not in the order" });
    spec
      .given([orderPlaced()])
      .when(stockRejected("SKU-Z", 2, 0))
      .thenThrows(InconsistentStockMessage, { detail: "SKU SKU-Z is not in the order" });
  });

  it("is a domain error when the requested quantity differs", () => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-A", 3, 2))
      .thenThrows(InconsistentStockMessage, { detail: "answer for SKU-A requests 3, the order 2" });
  });

  it.each([0, 3, 1.5])("is a domain error to reserve %s of the 2 requested", (reserved) => {
    spec
      .given([orderPlaced()])
      .when(stockReserved("SKU-A", 2, reserved))
      .thenThrows(InconsistentStockMessage, {
        detail: `${reserved} reserved for SKU-A, which requested 2`,
      });
  });

  it("is a domain error whatever the status, since the lines never change", () => {
    spec
      .given(CONFIRMED_HISTORY)
      .when(stockReserved("SKU-A", 2, 2, { lineCount: 5 }))
      .thenThrows(InconsistentStockMessage);
  });
});
