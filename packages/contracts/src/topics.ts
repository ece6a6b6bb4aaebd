import { EVENT_SCHEMAS } from "./events/schemas.js";
import type { EventOfType, EventType, IntegrationEvent } from "./events/types.js";

/**
 * Which event goes to which topic under which key, and who writes and reads each topic.
 * docs/architecture.md describes this map; docs/events.md and docs/asyncapi.json are generated from it.
 */

export type SagaTopic = "order-events" | "reservation-events" | "stock-events";
export const DEAD_LETTER_TOPIC = "dead-letters";
export type TopicName = SagaTopic | typeof DEAD_LETTER_TOPIC;

export type Participant = "order-service" | "inventory-service" | "operators";

export interface TopicSpec {
  readonly name: TopicName;
  readonly partitions: number;
  /**
   * How long the broker keeps a record (`retention.ms`). The saga topics' retention bounds the
   * longest redelivery a consumer can see, so inbox retention must not be shorter than it.
   */
  readonly retentionMs: number;
  /** What the Kafka message key is, in words. */
  readonly key: string;
  readonly producers: readonly Participant[];
  readonly consumers: readonly Participant[];
  readonly description: string;
}

const SEVEN_DAYS_MS = 7 * 24 * 3_600_000;

export const TOPIC_SPECS: { readonly [T in TopicName]: TopicSpec & { readonly name: T } } = {
  "order-events": {
    name: "order-events",
    partitions: 6,
    retentionMs: SEVEN_DAYS_MS,
    key: "order id",
    producers: ["order-service"],
    consumers: ["inventory-service"],
    description:
      "Decisions of the order service about an order. Keyed by order id so one order stays in order.",
  },
  "reservation-events": {
    name: "reservation-events",
    partitions: 6,
    retentionMs: SEVEN_DAYS_MS,
    key: "order id",
    producers: ["inventory-service"],
    consumers: ["order-service"],
    description:
      "Answers of the inventory about the stock of an order. Keyed by order id so one order stays in order.",
  },
  "stock-events": {
    name: "stock-events",
    partitions: 3,
    retentionMs: SEVEN_DAYS_MS,
    key: "SKU",
    producers: ["inventory-service"],
    consumers: [],
    description: "Changes to the stock of a product, for analytics and replenishment (no consumer yet).",
  },
  "dead-letters": {
    name: "dead-letters",
    partitions: 3,
    // Operators must have time to look at a dead letter and replay it.
    retentionMs: 4 * SEVEN_DAYS_MS,
    key: "original key",
    producers: ["order-service", "inventory-service"],
    consumers: ["operators"],
    description:
      "Messages a consumer could not process: the original bytes, with the reason and origin in headers.",
  },
};

interface EventRoute<T extends EventType> {
  readonly topic: SagaTopic;
  readonly key: (event: EventOfType<T>) => string;
}

export const EVENT_ROUTES: { readonly [T in EventType]: EventRoute<T> } = {
  OrderRequested: { topic: "order-events", key: (event) => event.orderId },
  OrderConfirmed: { topic: "order-events", key: (event) => event.orderId },
  OrderAdjusted: { topic: "order-events", key: (event) => event.orderId },
  OrderRejected: { topic: "order-events", key: (event) => event.orderId },
  OrderCancelled: { topic: "order-events", key: (event) => event.orderId },
  StockReserved: { topic: "reservation-events", key: (event) => event.orderId },
  StockRejected: { topic: "reservation-events", key: (event) => event.orderId },
  StockRequestAnswered: { topic: "reservation-events", key: (event) => event.orderId },
  StockCommitted: { topic: "reservation-events", key: (event) => event.orderId },
  StockReleased: { topic: "reservation-events", key: (event) => event.orderId },
  ReservationExpired: { topic: "reservation-events", key: (event) => event.orderId },
  StockAdjusted: { topic: "stock-events", key: (event) => event.sku },
  ProductOutOfStock: { topic: "stock-events", key: (event) => event.sku },
};

/** Event types in the order of the topic map (the design's order), not alphabetical. */
export const ROUTED_EVENT_TYPES = Object.keys(EVENT_ROUTES) as readonly EventType[];

/**
 * Where topic names come from. A prefix separates environments or test runs sharing one cluster and
 * registry: topic `order-events` becomes `<prefix>order-events`, and its subjects follow.
 */
export interface TopicNaming {
  readonly prefix?: string;
}

export function topicName(topic: TopicName, naming: TopicNaming = {}): string {
  return `${naming.prefix ?? ""}${topic}`;
}

export function topicFor(eventType: EventType, naming: TopicNaming = {}): string {
  return topicName(EVENT_ROUTES[eventType].topic, naming);
}

/** The registry subject of an event: topic + record name strategy, `<topic>-<full.record.Name>`. */
export function subjectFor(eventType: EventType, naming: TopicNaming = {}): string {
  return `${topicFor(eventType, naming)}-${EVENT_SCHEMAS[eventType].recordName}`;
}

/** The Kafka message key of an event: its order id on saga topics, its SKU on `stock-events`. */
export function keyFor(event: IntegrationEvent): string {
  // The table is indexed by the event's own type, so the route's key function fits the event.
  const route = EVENT_ROUTES[event.type] as unknown as EventRoute<EventType> & {
    readonly key: (event: IntegrationEvent) => string;
  };
  return route.key(event);
}

export function eventTypesOn(topic: SagaTopic): readonly EventType[] {
  return ROUTED_EVENT_TYPES.filter((eventType) => EVENT_ROUTES[eventType].topic === topic);
}

export const SAGA_TOPICS: readonly SagaTopic[] = ["order-events", "reservation-events", "stock-events"];
export const ALL_TOPICS: readonly TopicName[] = [...SAGA_TOPICS, DEAD_LETTER_TOPIC];

/** Finds which topic of the map a (possibly prefixed) topic name is, or undefined when none. */
export function topicOf(name: string, naming: TopicNaming = {}): TopicName | undefined {
  return ALL_TOPICS.find((topic) => topicName(topic, naming) === name);
}

/**
 * Replication of every topic for a cluster of `brokerCount` brokers: three copies and two of them
 * in sync for a write (producers send with acks=all) once there are three brokers, so one broker
 * may be down — killed, restarting, rolling — while every partition still takes writes.
 */
export function replicationFor(brokerCount: number): {
  replicationFactor: number;
  minInSyncReplicas: number;
} {
  if (!Number.isInteger(brokerCount) || brokerCount < 1)
    throw new Error("brokerCount must be a positive integer");
  const replicationFactor = Math.min(3, brokerCount);
  return { replicationFactor, minInSyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/** How a topic is created: the one definition the local stack, the compose file and k8s follow. */
export interface TopicCreation {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: { name: "min.insync.replicas" | "retention.ms"; value: string }[];
}

/** Every topic to create up front, in the shape kafkajs `admin.createTopics` takes. */
export function topicsToCreate(naming: TopicNaming = {}, brokerCount = 1): TopicCreation[] {
  const { replicationFactor, minInSyncReplicas } = replicationFor(brokerCount);
  return ALL_TOPICS.map((topic) => ({
    topic: topicName(topic, naming),
    numPartitions: TOPIC_SPECS[topic].partitions,
    replicationFactor,
    configEntries: [
      { name: "min.insync.replicas", value: String(minInSyncReplicas) },
      { name: "retention.ms", value: String(TOPIC_SPECS[topic].retentionMs) },
    ],
  }));
}
