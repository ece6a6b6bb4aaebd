import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { TestSystem } from "../support/system.js";

describe("at-least-once delivery", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let frank: ApiClient;
  let kafka: Kafka;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("stock-admin", { admin: true });
    frank = system.client(`frank-${randomUUID()}`);
    kafka = testKafka();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("applies a duplicated event once: redelivered answers and decisions change nothing", async () => {
    const sku = uniqueSku();
    const startedAt = new Map(
      await Promise.all(
        ["order-events", "reservation-events"].map(
          async (topic) => [topic, await topicEnds(kafka, topic)] as const,
        ),
      ),
    );
    await admin.createProduct(sku, 10);
    const placed = await frank.placeOrder([{ sku, quantity: 3 }]);
    const orderId = placed.body.orderId;
    await frank.orderReaching(orderId, ["CONFIRMED"]);
    await admin.settledReservations(orderId);
    const timelineBefore = await eventually("the saga to finish", async () => {
      const events = await frank.timeline(orderId);
      return events.some((e) => e.type === "StockCommitted") ? events : undefined;
    });
    const orderBefore = (await frank.order(orderId)).body;
    const productBefore = await admin.product(sku);
    expect(productBefore).toMatchObject({ onHand: 7, reserved: 0 });

    const codec = await testCodec();
    const ofOrder = async (topic: string) =>
      (await eventsOf(codec, await readTopic(kafka, topic, startedAt.get(topic)))).filter(
        (r) => "orderId" in r.event && r.event.orderId === orderId,
      );
    const answers = await ofOrder("reservation-events");
    const decisions = await ofOrder("order-events");
    const reserved = answers.find((r) => r.event.type === "StockRequestAnswered");
    const committed = answers.find((r) => r.event.type === "StockCommitted");
    const requested = decisions.find((r) => r.event.type === "OrderRequested");
    const confirmed = decisions.find((r) => r.event.type === "OrderConfirmed");
    if (!reserved || !committed || !requested || !confirmed)
      throw new Error("the saga's events are not all on the topics");

    for (const record of [reserved, committed, requested, confirmed]) await redeliver(kafka, record);
    await caughtUp(kafka, "order-service", "reservation-events");
    await caughtUp(kafka, "inventory-service", "order-events");

    expect((await frank.order(orderId)).body).toEqual(orderBefore);
    expect(await frank.timeline(orderId)).toEqual(timelineBefore);
    expect(await admin.product(sku)).toEqual(productBefore);
    expect((await admin.reservations(orderId)).map((r) => [r.quantity, r.status])).toEqual([
      [3, "COMMITTED"],
    ]);
  });
});
