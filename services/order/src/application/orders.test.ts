import type { IntegrationEvent } from "@stocksaga/contracts";
import { describe, expect, it } from "vitest";
import type { Database } from "../persistence/database.js";
import { OrderApplication } from "./orders.js";

const PLACED_AT = new Date("2030-01-01T10:00:00.000Z");
const DEADLINE = new Date("2030-01-01T10:00:30.000Z");
const SWEEP_AT = new Date("2030-01-01T10:01:00.000Z");

const FIRST = "11111111-1111-4111-8111-111111111111";
const FAILING = "22222222-2222-4222-8222-222222222222";
const HELD = "33333333-3333-4333-8333-333333333333";
const LAST = "44444444-4444-4444-8444-444444444444";

/**
 * Just enough of the order database for the timeout sweeper: every order is PENDING past its
 * deadline; `held` ones are locked by another transaction, `failing` ones fail to update.
 */
function overdueOrders(
  ids: readonly string[],
  { held = [], failing = [] }: { held?: string[]; failing?: string[] },
) {
  const queries: { orderId: string; sql: string }[] = [];
  const published: IntegrationEvent[] = [];
  const tx = {
    $queryRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => {
      const sql = strings.join("?").replace(/\s+/g, " ").trim();
      const orderId = String(values[0]);
      queries.push({ orderId, sql });
      if (/for update skip locked$/.test(sql)) return held.includes(orderId) ? [] : [{ id: orderId }];
      if (/from orders .*for update$/.test(sql)) {
        return [
          {
            id: orderId,
            customer_id: "customer-1",
            status: "PENDING",
            fulfilment: "PARTIAL",
            reason: null,
            decision_deadline: DEADLINE,
            version: 3,
            created_at: PLACED_AT,
            updated_at: PLACED_AT,
          },
        ];
      }
      if (/from order_lines/.test(sql)) {
        return [
          {
            orderId,
            lineNo: 0,
            sku: "SKU-A",
            requestedQuantity: 2,
            confirmedQuantity: null,
            status: "PENDING",
            reason: null,
            reservationId: null,
            availableQuantity: null,
          },
        ];
      }
      throw new Error(`unexpected query: ${sql}`);
    },
    $executeRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => {
      const sql = strings.join("?").replace(/\s+/g, " ").trim();
      if (/^with saved as \( update orders/.test(sql)) {
        const ids = values[0] as string[];
        if (ids.some((id) => failing.includes(id))) throw new Error("connection reset");
        return ids.length;
      }
      if (/^with written as \( insert into outbox/.test(sql)) {
        published.push(...(values[4] as string[]).map((json) => JSON.parse(json) as IntegrationEvent));
        return 1;
      }
      return 1;
    },
  };
  const db = {
    order: { findMany: async () => ids.map((id) => ({ id })) },
    $transaction: async <T>(work: (transaction: typeof tx) => Promise<T>) => work(tx),
  };
  const orders = new OrderApplication({
    db: db as unknown as Database,
    decisionTimeoutMs: 30_000,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
    clock: () => SWEEP_AT,
  });
  return { orders, queries, published };
}

describe("OrderApplication.rejectOverdue", () => {
  it("rejects every overdue order it can, and reports the one that failed instead of stopping there", async () => {
    const { orders, published } = overdueOrders([FIRST, FAILING, LAST], { failing: [FAILING] });

    const sweep = await orders.rejectOverdue(200);

    expect(sweep.rejected.map((rejection) => rejection.orderId)).toEqual([FIRST, LAST]);
    expect(sweep.failures).toEqual([{ orderId: FAILING, error: new Error("connection reset") }]);
    expect(published.map((event) => [event.type, "orderId" in event ? event.orderId : undefined])).toEqual([
      ["OrderRejected", FIRST],
      ["OrderRejected", LAST],
    ]);
  });

  it("skips an order another transaction holds, without waiting for it or deciding it", async () => {
    const { orders, queries, published } = overdueOrders([FIRST, HELD, LAST], { held: [HELD] });

    const sweep = await orders.rejectOverdue(200);

    expect(sweep).toMatchObject({ rejected: [{ orderId: FIRST }, { orderId: LAST }], failures: [] });
    expect(queries.filter((query) => query.orderId === HELD)).toEqual([
      { orderId: HELD, sql: expect.stringMatching(/for update skip locked$/) },
    ]);
    expect(published.map((event) => ("orderId" in event ? event.orderId : undefined))).not.toContain(HELD);
  });

  it("claims each order with SKIP LOCKED before it locks and decides it", async () => {
    const { orders, queries } = overdueOrders([FIRST], {});

    await orders.rejectOverdue(200);

    const onOrders = queries.filter((query) => / from orders /.test(query.sql));
    expect(onOrders).toHaveLength(2);
    expect(onOrders[0]?.sql).toMatch(/status = 'PENDING' for update skip locked$/);
    expect(onOrders[1]?.sql).toMatch(/where id = any\(\?::uuid\[\]\) order by id for update$/);
    expect(queries.indexOf(onOrders[0] as (typeof queries)[number])).toBe(0);
  });
});
