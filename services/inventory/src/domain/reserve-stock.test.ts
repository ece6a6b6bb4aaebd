import { describe, it } from "vitest";
import { InconsistentOrderMessage } from "./errors.js";
import {
  at,
  orderRequestRecorded,
  outOfStock,
  productCreated,
  RESERVED_HISTORY,
  reserveStock,
  spec,
  stockRejected,
  stockReleased,
  stockReserved,
  unseenOrderReleased,
} from "./testing.js";

describe("ReserveStock under PARTIAL", () => {
  it("reserves every line in full when the stock allows, answering each with the line count", () => {
    spec
      .given([productCreated("SKU-A", 10), productCreated("SKU-B", 10)])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockReserved("SKU-B", 5, 5, 10),
      ]);
  });

  it("reserves what is available when it is less than requested, and says the product ran out", () => {
    spec
      .given([productCreated("SKU-A", 10), productCreated("SKU-B", 3)])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockReserved("SKU-B", 5, 3, 3),
        outOfStock("SKU-B", 3, 3),
      ]);
  });

  it("rejects a line with nothing available, with the available quantity, and no new alert", () => {
    spec
      .given([productCreated("SKU-A", 10), productCreated("SKU-B", 0)])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockRejected("SKU-B", 5, "INSUFFICIENT_STOCK", 0),
      ]);
  });

  it("counts what other orders have reserved", () => {
    spec
      .given([
        productCreated("SKU-A", 10),
        orderRequestRecorded(1, { orderId: "order-0" }),
        stockReserved("SKU-A", 8, 8, 10, { orderId: "order-0", lineCount: 1 }),
      ])
      .when(reserveStock([["SKU-A", 5]]))
      .thenEmits([
        orderRequestRecorded(1),
        stockReserved("SKU-A", 5, 2, 2, { lineCount: 1 }),
        outOfStock("SKU-A", 10, 10),
      ]);
  });
});

describe("ReserveStock under ALL_OR_NOTHING", () => {
  const allOrNothing = { fulfilment: "ALL_OR_NOTHING" } as const;

  it("reserves a line in full when the stock allows, taking the last unit", () => {
    spec
      .given([productCreated("SKU-A", 10), productCreated("SKU-B", 5)])
      .when(
        reserveStock(
          [
            ["SKU-A", 2],
            ["SKU-B", 5],
          ],
          allOrNothing,
        ),
      )
      .thenEmits([
        orderRequestRecorded(2, allOrNothing),
        stockReserved("SKU-A", 2, 2, 10),
        stockReserved("SKU-B", 5, 5, 5),
        outOfStock("SKU-B", 5, 5),
      ]);
  });

  it("never reserves part of a line: it rejects it with what is available, and still reserves the others", () => {
    spec
      .given([productCreated("SKU-A", 10), productCreated("SKU-B", 3)])
      .when(
        reserveStock(
          [
            ["SKU-A", 2],
            ["SKU-B", 5],
          ],
          allOrNothing,
        ),
      )
      .thenEmits([
        orderRequestRecorded(2, allOrNothing),
        stockReserved("SKU-A", 2, 2, 10),
        stockRejected("SKU-B", 5, "INSUFFICIENT_STOCK", 3),
      ]);
  });
});

describe("ReserveStock, whatever the policy", () => {
  it("rejects an unknown product", () => {
    spec
      .given([productCreated("SKU-A", 10)])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-Z", 1],
        ]),
      )
      .thenEmits([
        orderRequestRecorded(2),
        stockReserved("SKU-A", 2, 2, 10),
        stockRejected("SKU-Z", 1, "UNKNOWN_PRODUCT", 0),
      ]);
  });

  it("answers in the order of the lines", () => {
    spec
      .given([productCreated("SKU-C", 1), productCreated("SKU-A", 1)])
      .when(
        reserveStock([
          ["SKU-Z", 1],
          ["SKU-C", 4],
          ["SKU-A", 1],
        ]),
      )
      .thenEmits([
        orderRequestRecorded(3),
        stockRejected("SKU-Z", 1, "UNKNOWN_PRODUCT", 0, { lineCount: 3 }),
        stockReserved("SKU-C", 4, 1, 1, { lineCount: 3 }),
        outOfStock("SKU-C", 1, 1),
        stockReserved("SKU-A", 1, 1, 1, { lineCount: 3 }),
        outOfStock("SKU-A", 1, 1),
      ]);
  });

  it("sets the expiry at now + the reservation TTL", () => {
    const later = at(42_000);
    spec
      .given([productCreated("SKU-A", 10)])
      .when({ ...reserveStock([["SKU-A", 2]], { now: later }), reservationTtlMs: 1_000 })
      .thenEmits([
        orderRequestRecorded(1, { now: later }),
        { ...stockReserved("SKU-A", 2, 2, 10, { lineCount: 1, now: later }), expiresAt: at(43_000) },
      ]);
  });

  it("answers a request with every line rejected", () => {
    spec
      .given([])
      .when(reserveStock([["SKU-A", 2]]))
      .thenEmits([
        orderRequestRecorded(1),
        stockRejected("SKU-A", 2, "UNKNOWN_PRODUCT", 0, { lineCount: 1 }),
      ]);
  });
});

describe("a repeated ReserveStock", () => {
  it("changes nothing for an order already answered", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([]);
  });

  it("changes nothing for an order already released", () => {
    spec
      .given([
        ...RESERVED_HISTORY,
        stockReleased("ORDER_REJECTED", [
          ["SKU-A", 2, false],
          ["SKU-B", 5, false],
        ]),
      ])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-B", 5],
        ]),
      )
      .thenEmits([]);
  });
});

describe("a ReserveStock that comes after the order's release (OrderCancelled or OrderRejected first)", () => {
  it("reserves nothing for an order released before the inventory saw it: the order is already final", () => {
    for (const reason of ["ORDER_CANCELLED", "ORDER_REJECTED"] as const) {
      spec
        .given([productCreated("SKU-A", 10), productCreated("SKU-B", 10), unseenOrderReleased(reason)])
        .when(
          reserveStock([
            ["SKU-A", 2],
            ["SKU-B", 5],
          ]),
        )
        .thenEmits([]);
    }
  });
});

describe("a ReserveStock that cannot be right", () => {
  it("is a domain error without lines", () => {
    spec.given([]).when(reserveStock([])).thenThrows(InconsistentOrderMessage, {
      code: "INCONSISTENT_ORDER_MESSAGE",
      detail: "an order request without lines",
    });
  });

  it("is a domain error with a SKU on two lines", () => {
    spec
      .given([productCreated("SKU-A", 10)])
      .when(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-A", 1],
        ]),
      )
      .thenThrows(InconsistentOrderMessage, { detail: "SKU SKU-A appears on two lines" });
  });

  it.each([0, -1, 1.5])("is a domain error with %s units on a line", (quantity) => {
    spec
      .given([productCreated("SKU-A", 10)])
      .when(reserveStock([["SKU-A", quantity]]))
      .thenThrows(InconsistentOrderMessage, { detail: `${quantity} units of SKU-A` });
  });
});
