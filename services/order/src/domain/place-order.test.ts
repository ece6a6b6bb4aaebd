import { describe, it } from "vitest";
import type { OrderCommand } from "./commands.js";
import { InvalidOrder, OrderAlreadyPlaced, OrderNotFound } from "./errors.js";
import type { RequestedLine } from "./order.js";
import { at, DEADLINE, NOW, ORDER_ID, orderPlaced, placeOrder, spec } from "./testing.js";

function lines(count: number, quantity = 1): RequestedLine[] {
  return Array.from({ length: count }, (_, index) => ({ sku: `SKU-${index}`, quantity }));
}

describe("PlaceOrder", () => {
  it("places a PENDING order with a deadline of now + the decision timeout", () => {
    spec.given([]).when(placeOrder()).thenEmits([orderPlaced()]);
  });

  it("keeps the fulfilment policy asked for", () => {
    spec
      .given([])
      .when(placeOrder({ fulfilment: "ALL_OR_NOTHING" }))
      .thenEmits([orderPlaced(undefined, "ALL_OR_NOTHING")]);
  });

  it("defaults the fulfilment policy to PARTIAL", () => {
    spec
      .given([])
      .when(placeOrder({ fulfilment: undefined }))
      .thenEmits([orderPlaced(undefined, "PARTIAL")]);
  });

  it("takes the deadline from the timeout it is given", () => {
    spec
      .given([])
      .when(placeOrder({ decisionTimeoutMs: 5_000 }))
      .thenEmits([{ ...orderPlaced(), decisionDeadline: at(5_000) }]);
    spec
      .given([])
      .when(placeOrder())
      .thenEmits([{ ...orderPlaced(), decisionDeadline: DEADLINE }]);
  });

  it("accepts the limits themselves: 100 lines, 1 and 1000 units", () => {
    spec
      .given([])
      .when(placeOrder({ lines: lines(100) }))
      .thenEmits([orderPlaced(lines(100))]);
    spec
      .given([])
      .when(placeOrder({ lines: lines(1, 1000) }))
      .thenEmits([orderPlaced(lines(1, 1000))]);
  });

  it("refuses an id that already has an order", () => {
    spec
      .given([orderPlaced()])
      .when(placeOrder())
      .thenThrows(OrderAlreadyPlaced, { code: "ORDER_ALREADY_PLACED", orderId: ORDER_ID });
  });

  describe("validation", () => {
    it("needs at least one line", () => {
      spec
        .given([])
        .when(placeOrder({ lines: [] }))
        .thenThrows(InvalidOrder, {
          code: "INVALID_ORDER",
          fieldErrors: [{ field: "lines", message: "must have at least one line" }],
        });
    });

    it("allows at most 100 lines", () => {
      spec
        .given([])
        .when(placeOrder({ lines: lines(101) }))
        .thenThrows(InvalidOrder, {
          fieldErrors: [{ field: "lines", message: "must have at most 100 lines" }],
        });
    });

    it("refuses a SKU twice, naming the line that repeats it", () => {
      spec
        .given([])
        .when(
          placeOrder({
            lines: [
              { sku: "SKU-A", quantity: 1 },
              { sku: "SKU-B", quantity: 1 },
              { sku: "SKU-A", quantity: 2 },
            ],
          }),
        )
        .thenThrows(InvalidOrder, {
          fieldErrors: [{ field: "lines.2.sku", message: "repeats the SKU of line 0" }],
        });
    });

    it.each([0, 1001, -3, 1.5, Number.NaN])("refuses %s units on a line", (quantity) => {
      spec
        .given([])
        .when(placeOrder({ lines: [{ sku: "SKU-A", quantity }] }))
        .thenThrows(InvalidOrder, {
          fieldErrors: [{ field: "lines.0.quantity", message: "must be an integer from 1 to 1000" }],
        });
    });

    it("refuses an empty SKU and an empty customer", () => {
      spec
        .given([])
        .when(placeOrder({ customerId: " ", lines: [{ sku: "", quantity: 1 }] }))
        .thenThrows(InvalidOrder, {
          fieldErrors: [
            { field: "customerId", message: "must not be empty" },
            { field: "lines.0.sku", message: "must not be empty" },
          ],
        });
    });

    it("reports every broken rule at once", () => {
      spec
        .given([])
        .when(
          placeOrder({
            lines: [
              { sku: "SKU-A", quantity: 0 },
              { sku: "SKU-A", quantity: 2000 },
            ],
          }),
        )
        .thenThrows(InvalidOrder, {
          fieldErrors: [
            { field: "lines.0.quantity", message: "must be an integer from 1 to 1000" },
            { field: "lines.1.sku", message: "repeats the SKU of line 0" },
            { field: "lines.1.quantity", message: "must be an integer from 1 to 1000" },
          ],
        });
    });
  });
});

describe("any other command", () => {
  const commands: OrderCommand[] = [
    {
      type: "RecordStockReserved",
      orderId: ORDER_ID,
      lineCount: 2,
      sku: "SKU-A",
      requestedQuantity: 2,
      reservedQuantity: 2,
      reservationId: "r",
      now: NOW,
    },
    {
      type: "RecordStockRejected",
      orderId: ORDER_ID,
      lineCount: 2,
      sku: "SKU-A",
      requestedQuantity: 2,
      reason: "UNKNOWN_PRODUCT",
      availableQuantity: 0,
      now: NOW,
    },
    { type: "RejectForTimeout", orderId: ORDER_ID, now: at(60_000) },
    {
      type: "RecordReservationExpired",
      orderId: ORDER_ID,
      reservationId: "r",
      sku: "SKU-A",
      quantity: 2,
      now: NOW,
    },
    { type: "RecordStockCommitted", orderId: ORDER_ID, lines: [], now: NOW },
    { type: "CancelOrder", orderId: ORDER_ID, cancelledBy: "c", reason: "", now: NOW },
  ];

  it.each(commands)("$type on an order that was never placed is OrderNotFound", (command) => {
    spec.given([]).when(command).thenThrows(OrderNotFound, { code: "ORDER_NOT_FOUND", orderId: ORDER_ID });
  });

  it.each(commands)("$type against another order's state is OrderNotFound", (command) => {
    spec
      .given([orderPlaced()])
      .when({ ...command, orderId: "order-2" })
      .thenThrows(OrderNotFound, { orderId: "order-2" });
  });
});
