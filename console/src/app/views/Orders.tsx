import { useEffect, useState } from "preact/hooks";
import { callJson, ORDER_STATUSES, type OrderStatus, type OrderView } from "../api.js";
import type { Session } from "../auth.js";
import { orderHref } from "../router.js";
import { ErrorNotice, formatTime, Loading, StatusBadge } from "./common.js";

export function OrderList({ orders, empty }: { orders: OrderView[]; empty: string }) {
  if (orders.length === 0) return <p class="muted">{empty}</p>;
  return (
    <ul class="order-list">
      {orders.map((order) => (
        <li key={order.orderId} data-order-id={order.orderId} data-status={order.status}>
          <a href={orderHref(order.orderId)}>
            <code>{order.orderId.slice(0, 8)}</code>
          </a>{" "}
          <StatusBadge status={order.status} />{" "}
          <span class="muted">
            {formatTime(order.createdAt)} · {order.items.length} line{order.items.length === 1 ? "" : "s"} ·{" "}
            {order.fulfilment}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function Orders({ session }: { session: Session }) {
  const [status, setStatus] = useState<OrderStatus | "">("");
  const [pages, setPages] = useState<{ items: OrderView[]; next: string | null } | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  async function load(filter: OrderStatus | "", cursor?: string) {
    setError(undefined);
    const query = new URLSearchParams({ limit: "20" });
    if (filter) query.set("status", filter);
    if (cursor) query.set("cursor", cursor);
    try {
      const page = await callJson<{ items: OrderView[]; nextCursor: string | null }>(
        "order",
        `/orders?${query}`,
        session.token,
      );
      setPages((previous) => ({
        items: cursor && previous ? [...previous.items, ...page.items] : page.items,
        next: page.nextCursor,
      }));
    } catch (failure) {
      setError(failure);
    }
  }

  useEffect(() => {
    setPages(undefined);
    void load(status);
  }, [session.token, status]);

  return (
    <main>
      <h1>{session.isAdmin ? "All orders" : "My orders"}</h1>
      <div class="filter">
        <label for="status-filter">Status</label>
        <select
          id="status-filter"
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value as OrderStatus | "")}
        >
          <option value="">any</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice error={error} />
      {pages ? (
        <>
          <OrderList orders={pages.items} empty={status ? `No ${status} orders.` : "No orders yet."} />
          {pages.next ? (
            <button type="button" class="secondary" onClick={() => pages.next && load(status, pages.next)}>
              More
            </button>
          ) : null}
        </>
      ) : (
        <Loading what="orders" />
      )}
    </main>
  );
}
