import { describe, expect, it } from "vitest";
import { changedSkus } from "./changed-products.js";

const at = new Date("2030-01-01T00:00:00Z");

describe("changedSkus", () => {
  it("names every SKU whose stock moved, and none for an answer that moved nothing", () => {
    const skus = changedSkus([
      { type: "ProductCreated", sku: "NEW", name: "n", onHand: 1, at },
      {
        type: "StockReserved",
        orderId: "o",
        lineCount: 2,
        sku: "RES",
        requestedQuantity: 1,
        reservedQuantity: 1,
        reservationId: "r",
        expiresAt: at,
        availableQuantity: 3,
        at,
      },
      {
        type: "StockRejected",
        orderId: "o",
        lineCount: 2,
        sku: "NONE",
        requestedQuantity: 1,
        reason: "INSUFFICIENT_STOCK",
        availableQuantity: 0,
        at,
      },
      {
        type: "StockCommitted",
        orderId: "o",
        lines: [{ reservationId: "r", sku: "COM", committedQuantity: 1 }],
        at,
      },
      {
        type: "StockReleased",
        orderId: "o",
        reason: "ORDER_CANCELLED",
        lines: [{ reservationId: "r", sku: "REL", quantity: 1, wasCommitted: true }],
        at,
      },
      { type: "ReservationExpired", orderId: "o", reservationId: "r", sku: "EXP", quantity: 1, at },
    ]);
    expect([...skus].sort()).toEqual(["COM", "EXP", "NEW", "REL", "RES"]);
  });
});
