import type { TimelineItem } from "../api.js";

/** Who writes each event type, and on which topic (the design's topic map, see packages/contracts). */
const ROUTES: Record<string, { from: "order" | "inventory"; topic: string }> = {
  OrderRequested: { from: "order", topic: "order-events" },
  OrderConfirmed: { from: "order", topic: "order-events" },
  OrderAdjusted: { from: "order", topic: "order-events" },
  OrderRejected: { from: "order", topic: "order-events" },
  OrderCancelled: { from: "order", topic: "order-events" },
  StockReserved: { from: "inventory", topic: "reservation-events" },
  StockRejected: { from: "inventory", topic: "reservation-events" },
  StockRequestAnswered: { from: "inventory", topic: "reservation-events" },
  StockCommitted: { from: "inventory", topic: "reservation-events" },
  StockReleased: { from: "inventory", topic: "reservation-events" },
  ReservationExpired: { from: "inventory", topic: "reservation-events" },
  StockAdjusted: { from: "inventory", topic: "stock-events" },
  ProductOutOfStock: { from: "inventory", topic: "stock-events" },
};

/** Steps that undo an earlier one: the saga's compensations. */
export const COMPENSATIONS: ReadonlySet<string> = new Set([
  "StockReleased",
  "ReservationExpired",
  "OrderCancelled",
]);

const LANES = { order: 90, topic: 300, inventory: 510 } as const;
const ROW = 58;
const TOP = 70;
const WIDTH = 600;

function delta(ms: number): string {
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `+${Math.round(ms / 1000)} s`;
}

function clock(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** What an event carries, in one short line: its lines as `sku reserved/requested`, and its reason. */
function summary(item: TimelineItem): string {
  const event = item.event as Record<string, unknown> | null;
  if (!event || typeof event !== "object") return "";
  const parts: string[] = [];
  const lines = Array.isArray(event.lines) ? (event.lines as Record<string, unknown>[]) : [];
  const quantities = lines.map((line) => {
    const got = line.reservedQuantity ?? line.confirmedQuantity ?? line.committedQuantity ?? line.quantity;
    const asked = line.requestedQuantity;
    return `${String(line.sku)} ${String(got ?? "?")}${typeof asked === "number" ? `/${asked}` : ""}`;
  });
  if (quantities.length > 0) parts.push(quantities.join(", "));
  else if (typeof event.sku === "string") parts.push(event.sku);
  if (typeof event.reason === "string") parts.push(event.reason);
  const text = parts.join(" · ");
  return text.length > 72 ? `${text.slice(0, 71)}…` : text;
}

/**
 * The saga as a sequence diagram: one row per event in the order the order service recorded it,
 * an arrow from the lane that wrote it through its Kafka topic to the lane that reads it.
 */
export function Timeline({ events }: { events: TimelineItem[] }) {
  // The same event can be emitted and received (or received twice): each is drawn once.
  const seen = new Set<string>();
  const rows = events.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
  const height = TOP + rows.length * ROW + 20;
  const start = rows[0] ? new Date(rows[0].occurredAt).getTime() : 0;
  return (
    <figure class="timeline">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="timeline-caption"
        data-events={rows.length}
        class="sequence"
      >
        <title>Saga timeline as a sequence diagram</title>
        {(["order", "topic", "inventory"] as const).map((lane) => (
          <g key={lane} class="lane">
            <rect x={LANES[lane] - 78} y={8} width={156} height={34} rx={6} class="lane-head" />
            <text x={LANES[lane]} y={30} text-anchor="middle" class="lane-title">
              {lane === "order" ? "order service" : lane === "topic" ? "Kafka topic" : "inventory service"}
            </text>
            <line x1={LANES[lane]} y1={42} x2={LANES[lane]} y2={height - 8} class="lifeline" />
          </g>
        ))}
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        {rows.map((item, index) => {
          const known = ROUTES[item.type] ?? { from: "inventory", topic: "?" };
          // The service names the topic (prefixed in some environments); the map is the fallback.
          const route = { from: known.from, topic: item.topic ?? known.topic };
          const y = TOP + index * ROW + 24;
          const from = LANES[route.from];
          const to = route.from === "order" ? LANES.inventory : LANES.order;
          const compensation = COMPENSATIONS.has(item.type);
          const previous = rows[index - 1];
          const since = previous
            ? new Date(item.occurredAt).getTime() - new Date(previous.occurredAt).getTime()
            : 0;
          const elapsed = new Date(item.occurredAt).getTime() - start;
          return (
            <g
              key={item.eventId}
              class={`step ${compensation ? "compensation" : ""} ${route.from}`}
              data-event-type={item.type}
              data-compensation={compensation ? "true" : undefined}
            >
              <title>
                {item.type} on {route.topic} at {item.occurredAt} ({item.direction.toLowerCase()} by the order
                service)
              </title>
              <text x={(from + to) / 2} y={y - 22} text-anchor="middle" class="step-label">
                {compensation ? "↺ " : ""}
                {item.type}
                {compensation ? " (compensation)" : ""}
              </text>
              <text x={(from + to) / 2} y={y - 8} text-anchor="middle" class="step-detail">
                {summary(item) || route.topic}
              </text>
              <line x1={from} y1={y} x2={to} y2={y} class="message" marker-end="url(#arrow)" />
              <circle cx={LANES.topic} cy={y} r={5} class="topic-dot" />
              <text x={LANES.topic} y={y + 17} text-anchor="middle" class="step-topic">
                {route.topic}
              </text>
              <text x={4} y={y + 17} class="step-time">
                {clock(item.occurredAt)}
              </text>
              <text x={WIDTH - 4} y={y + 17} text-anchor="end" class="step-delta">
                {index === 0 ? "start" : `${delta(since)} (${delta(elapsed).slice(1)})`}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption id="timeline-caption">
        Saga timeline: {rows.length} event{rows.length === 1 ? "" : "s"} as the order service recorded them;
        time of each, time since the previous step (and since the start); compensations marked ↺.
      </figcaption>
      <ol class="visually-hidden">
        {rows.map((item) => (
          <li key={item.eventId}>
            {item.type} {COMPENSATIONS.has(item.type) ? "(compensation)" : ""} at {item.occurredAt}
          </li>
        ))}
      </ol>
    </figure>
  );
}
