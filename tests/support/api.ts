import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { issueToken } from "@stocksaga/platform";

export type OrderStatus = "PENDING" | "CONFIRMED" | "ADJUSTED" | "REJECTED" | "CANCELLED";

export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  fulfilment: "PARTIAL" | "ALL_OR_NOTHING";
  reason: string | null;
  items: {
    sku: string;
    requestedQuantity: number;
    confirmedQuantity: number | null;
    status: "PENDING" | "RESERVED" | "PARTIAL" | "REJECTED";
    reason: string | null;
  }[];
  createdAt: string;
  updatedAt: string;
}

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
  status: "ACTIVE" | "COMMITTED" | "RELEASED" | "EXPIRED";
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export const FINAL: readonly OrderStatus[] = ["CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"];

/** A unique SKU per test, so tests never share stock. */
export function uniqueSku(prefix = "T"): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`;
}

/** Polls until `check` returns a value; waits on progress, never a fixed sleep. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await sleep(100);
  }
}

/** The REST API of both services, as one customer (or an admin) sees it. */
export class ApiClient {
  constructor(
    readonly orderUrl: string,
    readonly inventoryUrl: string,
    private readonly secret: string,
    readonly customerId: string,
    private readonly admin: boolean,
  ) {}

  private async token(): Promise<string> {
    return issueToken(this.secret, { sub: this.customerId, roles: this.admin ? ["admin"] : [] });
  }

  async request<T>(
    base: "order" | "inventory",
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const response = await fetch(`${base === "order" ? this.orderUrl : this.inventoryUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token()}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  async createProduct(sku: string, onHand: number): Promise<ProductView> {
    const reply = await this.request<ProductView>("inventory", "POST", "/products", {
      sku,
      name: `Product ${sku}`,
      onHand,
    });
    if (reply.status !== 201)
      throw new Error(`createProduct ${sku}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  async product(sku: string): Promise<ProductView> {
    const reply = await this.request<ProductView>("inventory", "GET", `/products/${encodeURIComponent(sku)}`);
    if (reply.status !== 200) throw new Error(`product ${sku}: ${reply.status}`);
    return reply.body;
  }

  async reservations(orderId: string): Promise<ReservationView[]> {
    const reply = await this.request<{ items: ReservationView[] }>(
      "inventory",
      "GET",
      `/reservations?orderId=${orderId}`,
    );
    if (reply.status !== 200) throw new Error(`reservations ${orderId}: ${reply.status}`);
    return reply.body.items;
  }

  placeOrder(
    items: { sku: string; quantity: number }[],
    options: { fulfilment?: "PARTIAL" | "ALL_OR_NOTHING"; idempotencyKey?: string } = {},
  ): Promise<Reply<OrderView>> {
    return this.request<OrderView>(
      "order",
      "POST",
      "/orders",
      { items, ...(options.fulfilment ? { fulfilment: options.fulfilment } : {}) },
      options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {},
    );
  }

  async order(orderId: string): Promise<Reply<OrderView>> {
    return this.request<OrderView>("order", "GET", `/orders/${orderId}`);
  }

  cancel(orderId: string): Promise<Reply<OrderView>> {
    return this.request<OrderView>("order", "POST", `/orders/${orderId}/cancel`);
  }

  async timeline(orderId: string): Promise<{ type: string; direction: string; eventId: string }[]> {
    const reply = await this.request<{ events: { type: string; direction: string; eventId: string }[] }>(
      "order",
      "GET",
      `/orders/${orderId}/timeline`,
    );
    return reply.body.events;
  }

  /** Waits until the order is in one of `statuses` (any final status by default). */
  async orderReaching(
    orderId: string,
    statuses: readonly OrderStatus[] = FINAL,
    timeoutMs = 30_000,
  ): Promise<OrderView> {
    return eventually(
      `order ${orderId} to reach ${statuses.join("/")}`,
      async () => {
        const { body } = await this.order(orderId);
        return statuses.includes(body.status) ? body : undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until the inventory has settled the order: no reservation left ACTIVE. */
  async settledReservations(orderId: string, timeoutMs = 30_000): Promise<ReservationView[]> {
    return eventually(
      `reservations of ${orderId} to settle`,
      async () => {
        const reservations = await this.reservations(orderId);
        return reservations.every((r) => r.status !== "ACTIVE") ? reservations : undefined;
      },
      timeoutMs,
    );
  }
}
