import { describe, it } from "vitest";
import type { AdjustStock, CreateProduct } from "./commands.js";
import {
  InsufficientStockForAdjustment,
  InvalidProduct,
  InvalidStockAdjustment,
  ProductAlreadyExists,
  ProductNotFound,
  ReservationNotFound,
} from "./errors.js";
import type { StockAdjusted } from "./events.js";
import {
  at,
  COMMITTED_HISTORY,
  EXPIRES_AT,
  expire,
  NOW,
  outOfStock,
  productCreated,
  RESERVED_HISTORY,
  reservationExpired,
  spec,
  stockReleased,
  TTL_MS,
} from "./testing.js";

describe("ExpireReservation", () => {
  it("expires an active reservation past its expiry", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(expire("SKU-A", at(TTL_MS + 1)))
      .thenEmits([reservationExpired("SKU-A", 2, at(TTL_MS + 1))]);
  });

  it("does nothing before the expiry or exactly at it", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(expire("SKU-A", at(1)))
      .thenEmits([]);
    spec.given(RESERVED_HISTORY).when(expire("SKU-A", EXPIRES_AT)).thenEmits([]);
  });

  it("does nothing for a reservation that is no longer active", () => {
    const late = at(TTL_MS + 1);
    spec.given(COMMITTED_HISTORY).when(expire("SKU-A", late)).thenEmits([]);
    spec
      .given([
        ...RESERVED_HISTORY,
        stockReleased("ORDER_REJECTED", [
          ["SKU-A", 2, false],
          ["SKU-B", 5, false],
        ]),
      ])
      .when(expire("SKU-A", late))
      .thenEmits([]);
    spec
      .given([...RESERVED_HISTORY, reservationExpired("SKU-A", 2)])
      .when(expire("SKU-A", late))
      .thenEmits([]);
  });

  it("is a domain error for a reservation it does not know", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(expire("SKU-Z", at(TTL_MS + 1)))
      .thenThrows(ReservationNotFound, {
        code: "RESERVATION_NOT_FOUND",
        orderId: "order-1",
        reservationId: "order-1:SKU-Z",
      });
    spec
      .given(RESERVED_HISTORY)
      .when(expire("SKU-A", at(TTL_MS + 1), { orderId: "order-2" }))
      .thenThrows(ReservationNotFound);
  });
});

function adjustStock(sku: string, delta: number, reason = "recount"): AdjustStock {
  return { type: "AdjustStock", sku, delta, reason, actor: "admin-1", now: at(20) };
}

function stockAdjusted(sku: string, delta: number, onHand: number, reserved: number): StockAdjusted {
  return {
    type: "StockAdjusted",
    sku,
    delta,
    reason: "recount",
    actor: "admin-1",
    onHand,
    reserved,
    available: onHand - reserved,
    at: at(20),
  };
}

describe("AdjustStock", () => {
  it("adds units", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(adjustStock("SKU-B", 4))
      .thenEmits([stockAdjusted("SKU-B", 4, 9, 5)]);
  });

  it("removes units that are not reserved", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(adjustStock("SKU-A", -7))
      .thenEmits([stockAdjusted("SKU-A", -7, 3, 2)]);
  });

  it("says the product ran out when it takes available to 0", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(adjustStock("SKU-A", -8))
      .thenEmits([stockAdjusted("SKU-A", -8, 2, 2), outOfStock("SKU-A", 2, 2, at(20))]);
    spec
      .given([productCreated("SKU-C", 3)])
      .when(adjustStock("SKU-C", -3))
      .thenEmits([stockAdjusted("SKU-C", -3, 0, 0), outOfStock("SKU-C", 0, 0, at(20))]);
  });

  it("refuses to take on hand below what is reserved", () => {
    spec.given(RESERVED_HISTORY).when(adjustStock("SKU-A", -9)).thenThrows(InsufficientStockForAdjustment, {
      code: "INSUFFICIENT_STOCK_FOR_ADJUSTMENT",
      sku: "SKU-A",
      delta: -9,
      onHand: 10,
      reserved: 2,
    });
    spec.given(RESERVED_HISTORY).when(adjustStock("SKU-B", -1)).thenThrows(InsufficientStockForAdjustment);
  });

  it("refuses to take on hand below 0", () => {
    spec
      .given([productCreated("SKU-C", 3)])
      .when(adjustStock("SKU-C", -4))
      .thenThrows(InsufficientStockForAdjustment, { onHand: 3, reserved: 0 });
  });

  it("is ProductNotFound for an unknown SKU", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(adjustStock("SKU-Z", 1))
      .thenThrows(ProductNotFound, { code: "PRODUCT_NOT_FOUND", sku: "SKU-Z" });
  });

  it("refuses a delta of 0 or a fraction, and an empty reason", () => {
    spec
      .given(RESERVED_HISTORY)
      .when(adjustStock("SKU-A", 0, " "))
      .thenThrows(InvalidStockAdjustment, {
        code: "INVALID_STOCK_ADJUSTMENT",
        fieldErrors: [
          { field: "delta", message: "must be a whole number other than 0" },
          { field: "reason", message: "must not be empty" },
        ],
      });
    spec.given(RESERVED_HISTORY).when(adjustStock("SKU-A", 0.5)).thenThrows(InvalidStockAdjustment);
  });
});

function createProduct(sku: string, onHand: number, name = "Blue mug"): CreateProduct {
  return { type: "CreateProduct", sku, name, onHand, now: NOW };
}

describe("CreateProduct", () => {
  it("creates a product with its stock", () => {
    spec
      .given([])
      .when(createProduct("SKU-M", 12))
      .thenEmits([{ type: "ProductCreated", sku: "SKU-M", name: "Blue mug", onHand: 12, at: NOW }]);
  });

  it("creates a product with no stock, without an out-of-stock alert: nothing ran out", () => {
    spec
      .given([])
      .when(createProduct("SKU-M", 0))
      .thenEmits([{ type: "ProductCreated", sku: "SKU-M", name: "Blue mug", onHand: 0, at: NOW }]);
  });

  it("refuses a SKU that exists", () => {
    spec
      .given([productCreated("SKU-M", 1)])
      .when(createProduct("SKU-M", 12))
      .thenThrows(ProductAlreadyExists, { code: "PRODUCT_ALREADY_EXISTS", sku: "SKU-M" });
  });

  it("refuses an empty SKU or name and a stock that is negative or fractional", () => {
    spec
      .given([])
      .when(createProduct("", -1, ""))
      .thenThrows(InvalidProduct, {
        code: "INVALID_PRODUCT",
        fieldErrors: [
          { field: "sku", message: "must not be empty" },
          { field: "name", message: "must not be empty" },
          { field: "onHand", message: "must be a whole number, 0 or more" },
        ],
      });
    spec.given([]).when(createProduct("SKU-M", 1.5)).thenThrows(InvalidProduct);
  });
});
