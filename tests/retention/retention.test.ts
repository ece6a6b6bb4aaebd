import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { recordLifetimes } from "@stocksaga/messaging";
import type { Kafka } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseExposition, total } from "../observability/prometheus.js";
import { type ApiClient, eventually, uniqueSku } from "../support/api.js";
import {
  caughtUp,
  eventsOf,
  readTopic,
  redeliver,
  testCodec,
  testKafka,
  topicEnds,
} from "../support/kafka.js";
import { type ServiceEnv, TestSystem } from "../support/system.js";
import { type TableSize, tableSizes } from "../support/table-sizes.js";

/**
 * Retention on the real stack: at windows of seconds, while orders flow, every table of both
 * databases stays flat; and an event redelivered inside the inbox window is still refused.
 */

type Service = "order" | "inventory";

function windows(windowMs: number, intervalMs: number): ServiceEnv {
  const common = {
    KAFKA_RECORD_LIFETIME_MS: String(windowMs),
    INBOX_RETENTION_MS: String(windowMs),
    RETENTION_INTERVAL_MS: String(intervalMs),
    RETENTION_BATCH_SIZE: "100",
    RETENTION_VACUUM_AFTER_ROWS: "50",
    // The outbox is trimmed by the relay, not by retention: vacuumed as often as the tables retention trims.
    OUTBOX_VACUUM_AFTER_ROWS: "50",
  };
  return {
    // The age signal refuses placements whenever this shared machine is slow; this test is not about it.
    order: { ...common, ORDER_RETENTION_MS: String(windowMs), ADMISSION_MAX_PENDING_AGE_MS: "0" },
    inventory: { ...common, INVENTORY_ORDER_RETENTION_MS: String(windowMs) },
  };
}

async function metricTotal(system: TestSystem, service: Service, name: string, labels = {}): Promise<number> {
  const response = await fetch(`${system.url(service)}/metrics`);
  return total(parseExposition(await response.text()), name, labels) ?? 0;
}

/** Waits until retention has run `runs` more times in both services: progress, not time. */
async function retentionRuns(system: TestSystem, runs: number): Promise<void> {
  for (const service of ["order", "inventory"] as const) {
    const from = await metricTotal(system, service, "stocksaga_retention_runs_total");
    await eventually(`${runs} retention runs of the ${service} service`, async () =>
      (await metricTotal(system, service, "stocksaga_retention_runs_total")) >= from + runs
        ? true
        : undefined,
    );
  }
}

describe("retention", () => {
  const databases: Record<Service, pg.Client> = {
    order: new pg.Client({ connectionString: inject("orderDatabaseUrl") }),
    inventory: new pg.Client({ connectionString: inject("inventoryDatabaseUrl") }),
  };

  beforeAll(async () => {
    await Promise.all(Object.values(databases).map((client) => client.connect()));
  });
  afterAll(async () => {
    await Promise.all(Object.values(databases).map((client) => client.end()));
  });

  describe("at a window of two seconds, while orders flow", () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await TestSystem.start(windows(2_000, 500));
    });
    afterAll(async () => {
      await system?.stop();
    });

    it("keeps every table of both databases flat in rows and bytes", async () => {
      const admin = system.client("stock-admin", { admin: true });
      const customer = system.client(`steady-${randomUUID()}`);
      const skus = [uniqueSku("R"), uniqueSku("R"), uniqueSku("R")];
      for (const sku of skus) await admin.createProduct(sku, 1_000_000);

      const samples: { at: number; tables: Record<Service, TableSize[]> }[] = [];
      const sample = async () =>
        samples.push({
          at: Date.now(),
          tables: {
            order: await tableSizes(databases.order),
            inventory: await tableSizes(databases.inventory),
          },
        });
      const deletedSoFar = async (): Promise<Record<Service, Record<string, number>>> => {
        const byTable = async (service: Service) => {
          const response = await fetch(`${system.url(service)}/metrics`);
          const samples = parseExposition(await response.text()).filter(
            (s) => s.name === "stocksaga_retention_deleted_rows_total",
          );
          return Object.fromEntries(samples.map((s) => [s.labels.table ?? "", s.value]));
        };
        return { order: await byTable("order"), inventory: await byTable("inventory") };
      };

      // Five orders a second, at most 20 in flight, for 60 s; the first 15 s let the windows pass
      // (and clear what earlier test files left behind), the last 45 s are measured.
      const warmUpMs = 15_000;
      const runMs = 60_000;
      const started = Date.now();
      let placed = 0;
      const inFlight = new Set<Promise<void>>();
      const statuses = new Map<number, number>();
      let nextSample = started + warmUpMs;
      let deletedAtSteady: Record<Service, Record<string, number>> = { order: {}, inventory: {} };
      for (let due = started; Date.now() - started < runMs; due += 200) {
        const items = [
          { sku: skus[placed % skus.length] as string, quantity: 1 },
          { sku: skus[(placed + 1) % skus.length] as string, quantity: 2 },
        ];
        placed += 1;
        const placing = customer.placeOrder(items).then((reply) => {
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        });
        inFlight.add(placing);
        void placing.finally(() => inFlight.delete(placing));
        if (inFlight.size >= 20) await Promise.race(inFlight);
        if (Date.now() >= nextSample) {
          if (samples.length === 0) deletedAtSteady = await deletedSoFar();
          await sample();
          nextSample += 5_000;
        }
        const wait = due + 200 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await Promise.all(inFlight);
      expect(Object.fromEntries(statuses)).toEqual({ 202: placed });
      // Every order decided (a decided one may already be gone), then two runs past the window.
      await eventually("every order decided", async () => {
        const { rows } = await databases.order.query<{ n: number }>(
          "select count(*)::int as n from orders where status = 'PENDING'",
        );
        return rows[0]?.n === 0 ? true : undefined;
      });
      await retentionRuns(system, 2);
      await sample();
      const deletedAtEnd = await deletedSoFar();

      const first = samples[0];
      const last = samples.at(-1);
      if (!first || !last) throw new Error("no samples");
      const report = (service: Service) =>
        first.tables[service].map(({ table }) => ({
          table,
          rows: samples.map((s) => s.tables[service].find((t) => t.table === table)?.rows),
          kib: samples.map((s) =>
            Math.round((s.tables[service].find((t) => t.table === table)?.bytes ?? 0) / 1024),
          ),
        }));
      console.log(
        `placed ${placed} orders`,
        JSON.stringify({ order: report("order"), inventory: report("inventory") }),
      );

      const trimmed = {
        order: ["inbox", "orders", "order_lines", "order_timeline"],
        inventory: ["inbox", "order_requests", "reservations"],
      };
      for (const service of ["order", "inventory"] as const) {
        for (const { table, rows, bytes } of first.tables[service]) {
          const where = `${service}.${table}`;
          const end = last.tables[service].find((t) => t.table === table);
          const most = Math.max(
            ...samples.map((s) => s.tables[service].find((t) => t.table === table)?.rows ?? 0),
          );
          if (trimmed[service].includes(table)) {
            // Flat: the table holds what its window holds, a small part of what went through it.
            const deleted = (deletedAtEnd[service][table] ?? 0) - (deletedAtSteady[service][table] ?? 0);
            expect(deleted, `${where}: rows deleted`).toBeGreaterThanOrEqual(placed / 2);
            expect(most, `${where}: most rows held`).toBeLessThanOrEqual(rows + deleted / 3);
          } else {
            // Untouched by the flow (products, adjustments) or drained at once (the outbox).
            expect(most, `${where}: most rows held`).toBeLessThanOrEqual(rows + 50);
          }
          expect(end?.bytes, `${where}: bytes`).toBeLessThanOrEqual(bytes * 1.25 + 64 * 1024);
        }
      }
      const orders = last.tables.order.find((t) => t.table === "orders")?.rows ?? 0;
      expect(orders, "orders left of this run").toBeLessThan(placed / 4);
    }, 180_000);
  });

  describe("inside the inbox window", () => {
    let system: TestSystem;
    let admin: ApiClient;
    let kafka: Kafka;
    beforeAll(async () => {
      system = await TestSystem.start(windows(120_000, 200));
      admin = system.client("stock-admin", { admin: true });
      kafka = testKafka();
    });
    afterAll(async () => {
      await system?.stop();
    });

    it("warns at start-up when the topics it consumes keep records longer than it was told", async () => {
      const lifetimes = await recordLifetimes(kafka, ["order-events", "reservation-events"]);
      for (const lifetime of lifetimes.values()) expect(lifetime).toBeGreaterThan(120_000);
      for (const service of ["order", "inventory"] as const) {
        await eventually(`the ${service} service's warning`, async () =>
          readFileSync(join(settings.stackDir, "test-logs", `${service}.log`), "utf8").includes(
            "keeps records longer than KAFKA_RECORD_LIFETIME_MS",
          )
            ? true
            : undefined,
        );
      }
    });

    it("still refuses a redelivered event as a duplicate after retention has run", async () => {
      const customer = system.client(`late-${randomUUID()}`);
      const sku = uniqueSku();
      const startedAt = new Map(
        await Promise.all(
          ["order-events", "reservation-events"].map(
            async (topic) => [topic, await topicEnds(kafka, topic)] as const,
          ),
        ),
      );
      await admin.createProduct(sku, 10);
      const { orderId } = (await customer.placeOrder([{ sku, quantity: 3 }])).body;
      await customer.orderReaching(orderId, ["CONFIRMED"]);
      await admin.settledReservations(orderId);
      const timelineBefore = await eventually("the saga to finish", async () => {
        const events = await customer.timeline(orderId);
        return events.some((e) => e.type === "StockCommitted") ? events : undefined;
      });
      await retentionRuns(system, 3);

      const codec = await testCodec();
      const ofOrder = async (topic: string) =>
        (await eventsOf(codec, await readTopic(kafka, topic, startedAt.get(topic)))).filter(
          (r) => "orderId" in r.event && r.event.orderId === orderId,
        );
      const records = [...(await ofOrder("order-events")), ...(await ofOrder("reservation-events"))];
      expect(records.map((r) => r.event.type).sort()).toEqual(
        ["OrderConfirmed", "OrderRequested", "StockCommitted", "StockRequestAnswered"].sort(),
      );
      const orderBefore = (await customer.order(orderId)).body;
      const productBefore = await admin.product(sku);
      expect(productBefore).toMatchObject({ onHand: 7, reserved: 0 });

      for (const record of records) await redeliver(kafka, record);
      await caughtUp(kafka, "order-service", "reservation-events");
      await caughtUp(kafka, "inventory-service", "order-events");

      expect((await customer.order(orderId)).body).toEqual(orderBefore);
      expect(await customer.timeline(orderId)).toEqual(timelineBefore);
      expect(await admin.product(sku)).toEqual(productBefore);
      expect((await admin.reservations(orderId)).map((r) => [r.quantity, r.status])).toEqual([
        [3, "COMMITTED"],
      ]);
    });
  });
});
