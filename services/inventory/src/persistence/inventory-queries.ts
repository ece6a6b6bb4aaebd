import type { ReservationStatus } from "../domain/index.js";
import type { Database } from "./database.js";

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

export function viewOfProduct(product: {
  sku: string;
  name: string;
  onHand: number;
  reserved: number;
  updatedAt: Date;
}): ProductView {
  return {
    sku: product.sku,
    name: product.name,
    onHand: product.onHand,
    reserved: product.reserved,
    available: product.onHand - product.reserved,
    updatedAt: product.updatedAt.toISOString(),
  };
}

export async function findProduct(db: Database, sku: string): Promise<ProductView | undefined> {
  const product = await db.product.findUnique({ where: { sku } });
  return product ? viewOfProduct(product) : undefined;
}

/** The cursor is the last SKU of the previous page, opaque to clients. */
export function encodeCursor(sku: string): string {
  return Buffer.from(sku, "utf8").toString("base64url");
}

export function decodeCursor(text: string, isSku: (value: string) => boolean): string | undefined {
  const sku = Buffer.from(text, "base64url").toString("utf8");
  return isSku(sku) && encodeCursor(sku) === text ? sku : undefined;
}

/** In SKU order, keyset-paginated on the SKU. */
export async function listProducts(
  db: Database,
  page: { limit: number; after?: string },
): Promise<Page<ProductView>> {
  const products = await db.product.findMany({
    where: page.after !== undefined ? { sku: { gt: page.after } } : {},
    orderBy: { sku: "asc" },
    take: page.limit + 1,
  });
  const items = products.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(viewOfProduct),
    nextCursor: products.length > page.limit && last ? encodeCursor(last.sku) : null,
  };
}

export async function reservationsOfOrder(db: Database, orderId: string): Promise<ReservationView[]> {
  const reservations = await db.reservation.findMany({ where: { orderId }, orderBy: { sku: "asc" } });
  return reservations.map((reservation) => ({
    reservationId: reservation.id,
    orderId: reservation.orderId,
    sku: reservation.sku,
    quantity: reservation.quantity,
    status: reservation.status,
    expiresAt: reservation.expiresAt.toISOString(),
    createdAt: reservation.createdAt.toISOString(),
    updatedAt: reservation.updatedAt.toISOString(),
  }));
}
