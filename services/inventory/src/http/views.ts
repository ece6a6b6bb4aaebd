import type { ReservationStatus } from "../domain/index.js";
import type { ProductRecord, ReservationRecord } from "../persistence/inventory-store.js";

export interface ProductView {
  sku: string;
  name: string;
  onHand: number;
  reserved: number;
  available: number;
  updatedAt: string;
}

export interface ReservationView {
  reservationId: string;
  orderId: string;
  sku: string;
  quantity: number;
  status: ReservationStatus;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function viewOfProduct(product: ProductRecord): ProductView {
  return {
    sku: product.sku,
    name: product.name,
    onHand: product.onHand,
    reserved: product.reserved,
    available: product.onHand - product.reserved,
    updatedAt: product.updatedAt.toISOString(),
  };
}

export function viewOfReservation(reservation: ReservationRecord): ReservationView {
  return {
    reservationId: reservation.id,
    orderId: reservation.orderId,
    sku: reservation.sku,
    quantity: reservation.quantity,
    status: reservation.status,
    expiresAt: reservation.expiresAt.toISOString(),
    createdAt: reservation.createdAt.toISOString(),
    updatedAt: reservation.updatedAt.toISOString(),
  };
}

/** The cursor is the last SKU of the previous page, opaque to clients. */
export function encodeCursor(sku: string): string {
  return Buffer.from(sku, "utf8").toString("base64url");
}

export function decodeCursor(text: string, isSku: (value: string) => boolean): string | undefined {
  const sku = Buffer.from(text, "base64url").toString("utf8");
  return isSku(sku) && encodeCursor(sku) === text ? sku : undefined;
}

/** A page of `limit` products from one more than that read: the extra one says a next page exists. */
export function pageOfProducts(read: readonly ProductRecord[], limit: number): Page<ProductView> {
  const items = read.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(viewOfProduct),
    nextCursor: read.length > limit && last ? encodeCursor(last.sku) : null,
  };
}
