import { useEffect, useState } from "preact/hooks";
import { callJson, type OrderView, type ReservationView, type TimelineItem } from "../api.js";
import type { Session } from "../auth.js";
import { useLiveOrder, useResource } from "../live.js";
import { ErrorNotice, formatTime, Loading, StatusBadge } from "./common.js";
import { Timeline } from "./Timeline.js";

const FOLLOW_UP_MS = 1500;
const FOLLOW_UP_READS = 20;
const CANCELLABLE = new Set(["PENDING", "CONFIRMED", "ADJUSTED"]);

export function OrderPage({ session, orderId }: { session: Session; orderId: string }) {
  const timeline = useResource(
    (signal) =>
      callJson<{ events: TimelineItem[] }>(
        "order",
        `/orders/${encodeURIComponent(orderId)}/timeline`,
        session.token,
        {
          signal,
        },
      ),
    [session.token, orderId],
  );
  const reservations = useResource(
    (signal) =>
      session.isAdmin
        ? callJson<{ items: ReservationView[] }>(
            "inventory",
            `/reservations?orderId=${encodeURIComponent(orderId)}`,
            session.token,
            { signal },
          )
        : Promise.resolve(undefined),
    [session.token, orderId],
  );
  // Each change of the order comes with new saga steps: read them again.
  const live = useLiveOrder(session.token, orderId, () => {
    timeline.reload();
    reservations.reload();
  });
  const order = live.value;
  // Compensations (a release after a rejection, say) reach the order service after its last change
  // and its stream may be over: keep reading the history for a while after each change.
  useEffect(() => {
    if (!order) return;
    let reads = 0;
    const timer = setInterval(() => {
      reads += 1;
      timeline.reload();
      if (session.isAdmin) reservations.reload();
      if (reads >= FOLLOW_UP_READS) clearInterval(timer);
    }, FOLLOW_UP_MS);
    return () => clearInterval(timer);
  }, [order?.updatedAt, order?.status]);
  const [cancelError, setCancelError] = useState<unknown>(undefined);
  const [cancelling, setCancelling] = useState(false);

  async function cancel() {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await callJson<OrderView>("order", `/orders/${encodeURIComponent(orderId)}/cancel`, session.token, {
        method: "POST",
        json: { reason: "cancelled in the console" },
      });
    } catch (error) {
      setCancelError(error);
    } finally {
      setCancelling(false);
    }
  }

  return (
    <main class="order-page">
      <p>
        <a href="#/orders">← orders</a>
      </p>
      <h1>
        Order <code>{orderId}</code>
      </h1>
      <ErrorNotice error={live.error} />
      {!order ? (
        <Loading what="the order" />
      ) : (
        <article class="order" data-order-id={order.orderId} data-status={order.status} aria-live="polite">
          <p class="order-status">
            <StatusBadge status={order.status} />{" "}
            <span class={`live ${live.connected ? "on" : "off"}`}>
              {live.connected
                ? "live"
                : order.status === "REJECTED" || order.status === "CANCELLED"
                  ? "final"
                  : "not live"}
            </span>
          </p>
          {order.reason ? (
            <p class="reason">
              Reason: <strong>{order.reason}</strong>
            </p>
          ) : null}
          <dl class="facts">
            <dt>Customer</dt>
            <dd>{order.customerId}</dd>
            <dt>Fulfilment</dt>
            <dd>{order.fulfilment}</dd>
            <dt>Placed</dt>
            <dd>{formatTime(order.createdAt)}</dd>
            <dt>Decision deadline</dt>
            <dd>{formatTime(order.decisionDeadline)}</dd>
            <dt>Last change</dt>
            <dd>{formatTime(order.updatedAt)}</dd>
          </dl>
          <div class="table-wrap">
            <table class="lines">
              <caption>Lines</caption>
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col" class="num">
                    Requested
                  </th>
                  <th scope="col" class="num">
                    Confirmed
                  </th>
                  <th scope="col">Line status</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {order.items.map((line) => (
                  <tr key={line.sku} data-sku={line.sku} data-line-status={line.status}>
                    <td>
                      <code>{line.sku}</code>
                    </td>
                    <td class="num">{line.requestedQuantity}</td>
                    <td class="num confirmed">{line.confirmedQuantity ?? "—"}</td>
                    <td>{line.status}</td>
                    <td>{line.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {CANCELLABLE.has(order.status) ? (
            <button type="button" class="danger" onClick={cancel} disabled={cancelling}>
              {cancelling ? "Cancelling…" : "Cancel order"}
            </button>
          ) : null}
          <ErrorNotice error={cancelError} />
        </article>
      )}
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Saga timeline</h2>
        <ErrorNotice error={timeline.error} />
        {timeline.value ? <Timeline events={timeline.value.events} /> : <Loading what="the timeline" />}
      </section>
      {session.isAdmin ? (
        <section aria-labelledby="reservations-title">
          <h2 id="reservations-title">Reservations of this order</h2>
          <ErrorNotice error={reservations.error} />
          {reservations.value ? (
            <Reservations items={reservations.value.items} />
          ) : (
            <Loading what="reservations" />
          )}
        </section>
      ) : null}
    </main>
  );
}

export function Reservations({ items }: { items: ReservationView[] }) {
  if (items.length === 0) return <p class="muted">The inventory holds no reservation for this order.</p>;
  return (
    <div class="table-wrap">
      <table class="reservations">
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col" class="num">
              Quantity
            </th>
            <th scope="col">Status</th>
            <th scope="col">Expires</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.reservationId} data-reservation-id={r.reservationId} data-status={r.status}>
              <td>
                <code>{r.sku}</code>
              </td>
              <td class="num">{r.quantity}</td>
              <td>{r.status}</td>
              <td>{formatTime(r.expiresAt)}</td>
              <td>{formatTime(r.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
