import { z } from "@hono/zod-openapi";
import type { ProductRecord, ReservationRecord } from "../persistence/inventory-store.js";

const instant = z.iso.datetime({ offset: true });

export const ProductSchema = z
  .object({
    sku: z.string().openapi({ example: "SKU-RED-MUG" }),
    name: z.string(),
    onHand: z.number().int().min(0),
    reserved: z.number().int().min(0),
    available: z.number().int().min(0).openapi({ description: "onHand - reserved" }),
    updatedAt: instant,
  })
  .openapi("Product");

export type ProductView = z.infer<typeof ProductSchema>;

export const ProductPageSchema = z
  .object({
    items: z.array(ProductSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last." }),
  })
  .openapi("ProductPage");

export const ReservationSchema = z
  .object({
    reservationId: z.uuid(),
    orderId: z.uuid(),
    sku: z.string(),
    quantity: z.number().int().min(1),
    status: z.enum(["ACTIVE", "COMMITTED", "RELEASED", "EXPIRED"]),
    expiresAt: instant,
    createdAt: instant,
    updatedAt: instant,
  })
  .openapi("Reservation");

export type ReservationView = z.infer<typeof ReservationSchema>;

export const ReservationsOfOrderSchema = z
  .object({
    orderId: z.uuid(),
    items: z.array(ReservationSchema).openapi({ description: "Empty when the order holds none." }),
  })
  .openapi("ReservationsOfOrder");

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
export function pageOfProducts(
  read: readonly ProductRecord[],
  limit: number,
): z.infer<typeof ProductPageSchema> {
  const items = read.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(viewOfProduct),
    nextCursor: read.length > limit && last ? encodeCursor(last.sku) : null,
  };
}
