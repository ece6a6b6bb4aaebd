import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { topicName } from "@stocksaga/contracts";
import { issueToken } from "@stocksaga/platform";
import { Kafka, logLevel } from "kafkajs";
import { devJwtSecret } from "./dev-secret.js";
import { settings } from "./settings.js";

/** The demo's catalogue: little stock, so that every outcome of the saga shows. */
export const DEMO_PRODUCTS = [
  { sku: "DEMO-MUG", name: "Stocksaga mug", onHand: 12 },
  { sku: "DEMO-TEE", name: "Stocksaga T-shirt", onHand: 3 },
  { sku: "DEMO-CAP", name: "Stocksaga cap", onHand: 5 },
  { sku: "DEMO-POSTER", name: "Limited poster (sold out)", onHand: 0 },
] as const;

/** The customer the demo orders as (`npm start` prints a sign-in link for the same one). */
export const DEMO_CUSTOMER = "alice";

export type DemoOutcome =
  | "CONFIRMED"
  | "ADJUSTED"
  | "REJECTED (NO_STOCK)"
  | "REJECTED (SHORTFALL_NOT_ALLOWED)"
  | "CANCELLED";

export interface DemoOrder {
  outcome: DemoOutcome;
  orderId: string;
  status: string;
  reason: string | null;
  link: string;
}

export interface DemoOptions {
  orderUrl: string;
  inventoryUrl: string;
  consoleUrl: string;
  secret: string;
  brokers: readonly string[];
  log?: (line: string) => void;
  /** How long to wait for each order's final status. */
  timeoutMs?: number;
}

export interface DemoResult {
  created: string[];
  orders: DemoOrder[];
  poison: { topic: string; key: string; partition: number; offset: string };
}

interface ProductView {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}
interface OrderView {
  orderId: string;
  status: string;
  reason: string | null;
}

const FINAL = new Set(["CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"]);

class DemoClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async expect<T>(
    status: number[],
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) {
    const reply = await this.call<T>(method, path, body, headers);
    if (!status.includes(reply.status)) {
      throw new Error(
        `${method} ${this.base}${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`,
      );
    }
    return reply;
  }
}

/**
 * Fills a running system for the console: seeds the catalogue (only what is missing: a second run
 * creates nothing and leaves stock as it is), then places one order per outcome. Each scenario
 * reads the stock it depends on first and, when a earlier run or a person used it up, restocks
 * exactly what it needs with an adjustment: the outcomes repeat on every run without resetting
 * anything. Last, one message that is not Avro goes to `order-events` for the dead-letter view.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const admin = await issueToken(options.secret, { sub: "demo-admin", roles: ["admin"] });
  const customer = await issueToken(options.secret, { sub: DEMO_CUSTOMER });
  const inventory = new DemoClient(options.inventoryUrl, admin);
  const orders = new DemoClient(options.orderUrl, customer);
  const timeoutMs = options.timeoutMs ?? 60_000;

  const created: string[] = [];
  for (const product of DEMO_PRODUCTS) {
    const reply = await inventory.expect([201, 409], "POST", "/products", product);
    if (reply.status === 201) created.push(product.sku);
  }
  log(
    created.length > 0
      ? `catalogue: created ${created.join(", ")}`
      : "catalogue: already there, nothing created",
  );

  const stockOf = async (sku: string) =>
    (await inventory.expect<ProductView>([200], "GET", `/products/${sku}`)).body;
  /** Makes at least `units` available, with one adjustment when fewer are. */
  const restock = async (sku: string, units: number) => {
    const { available } = await stockOf(sku);
    if (available >= units) return;
    await inventory.expect([200], "POST", `/products/${sku}/adjustments`, {
      delta: units - available,
      reason: "demo: restock for the next run",
    });
  };
  const finalOf = async (
    orderId: string,
    wanted: (order: OrderView) => boolean = (o) => FINAL.has(o.status),
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await orders.expect<OrderView>([200], "GET", `/orders/${orderId}`);
      if (wanted(body)) return body;
      if (Date.now() > deadline)
        throw new Error(`order ${orderId} is still ${body.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const place = async (
    items: { sku: string; quantity: number }[],
    fulfilment: "PARTIAL" | "ALL_OR_NOTHING",
  ) => {
    const { body } = await orders.expect<OrderView>(
      [202],
      "POST",
      "/orders",
      { items, fulfilment },
      {
        "idempotency-key": `demo-${randomUUID()}`,
      },
    );
    return finalOf(body.orderId);
  };

  const results: DemoOrder[] = [];
  const report = (outcome: DemoOutcome, order: OrderView) => {
    const link = `${options.consoleUrl.replace(/\/+$/, "")}/#/orders/${order.orderId}`;
    results.push({ outcome, orderId: order.orderId, status: order.status, reason: order.reason, link });
    log(`${outcome.padEnd(33)} ${order.orderId}  ${link}`);
  };

  // CONFIRMED: every line in full.
  await restock("DEMO-MUG", 2);
  await restock("DEMO-CAP", 1);
  report(
    "CONFIRMED",
    await place(
      [
        { sku: "DEMO-MUG", quantity: 2 },
        { sku: "DEMO-CAP", quantity: 1 },
      ],
      "PARTIAL",
    ),
  );

  // ADJUSTED: two more T-shirts than there are, and the policy takes what there is.
  await restock("DEMO-TEE", 1);
  const tees = (await stockOf("DEMO-TEE")).available;
  report(
    "ADJUSTED",
    await place(
      [
        { sku: "DEMO-MUG", quantity: 1 },
        { sku: "DEMO-TEE", quantity: Math.min(1000, tees + 2) },
      ],
      "PARTIAL",
    ),
  );

  // REJECTED (NO_STOCK): only the sold-out poster, which nobody can have. Should a person have
  // stocked it meanwhile, what is available is taken back out so that it is sold out again.
  const poster = await stockOf("DEMO-POSTER");
  if (poster.available > 0) {
    await inventory.expect([200], "POST", "/products/DEMO-POSTER/adjustments", {
      delta: -poster.available,
      reason: "demo: the poster is sold out",
    });
  }
  report("REJECTED (NO_STOCK)", await place([{ sku: "DEMO-POSTER", quantity: 1 }], "PARTIAL"));

  // REJECTED (SHORTFALL_NOT_ALLOWED): all or nothing, one line short; the mug's reservation is released.
  await restock("DEMO-MUG", 1);
  const teesLeft = (await stockOf("DEMO-TEE")).available;
  report(
    "REJECTED (SHORTFALL_NOT_ALLOWED)",
    await place(
      [
        { sku: "DEMO-MUG", quantity: 1 },
        { sku: "DEMO-TEE", quantity: Math.min(1000, teesLeft + 1) },
      ],
      "ALL_OR_NOTHING",
    ),
  );

  // CANCELLED after confirmation: the committed cap goes back on the shelf.
  await restock("DEMO-CAP", 1);
  const confirmed = await place([{ sku: "DEMO-CAP", quantity: 1 }], "PARTIAL");
  if (confirmed.status !== "CONFIRMED")
    throw new Error(`the order to cancel ended ${confirmed.status}, not CONFIRMED`);
  await orders.expect([200, 202], "POST", `/orders/${confirmed.orderId}/cancel`);
  report("CANCELLED", await finalOf(confirmed.orderId, (order) => order.status === "CANCELLED"));

  const poison = await sendPoison(options.brokers);
  log(
    `dead letter: a message that is not Avro went to ${poison.topic} (key ${poison.key}); see ${options.consoleUrl.replace(/\/+$/, "")}/#/admin/dead-letters`,
  );
  return { created, orders: results, poison };
}

async function sendPoison(brokers: readonly string[]) {
  const kafka = new Kafka({ clientId: "stocksaga-demo", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const topic = topicName("order-events");
    const key = `demo-poison-${randomUUID()}`;
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key,
          value: Buffer.from('{"type":"OrderRequested","note":"JSON, not Avro"}'),
          headers: { source: "npm run demo" },
        },
      ],
    });
    return { topic, key, partition: sent?.partition ?? 0, offset: sent?.baseOffset ?? "" };
  } finally {
    await producer.disconnect();
  }
}

function serviceUrl(name: "ORDER" | "INVENTORY", defaultPort: number): string {
  return (
    process.env[`${name}_SERVICE_URL`]?.trim() ||
    `http://127.0.0.1:${process.env[`${name}_SERVICE_PORT`] ?? defaultPort}`
  );
}

async function main(): Promise<number> {
  const consoleUrl =
    process.env.CONSOLE_URL?.trim() || `http://127.0.0.1:${process.env.CONSOLE_PORT ?? 3000}`;
  try {
    await runDemo({
      orderUrl: serviceUrl("ORDER", 3001),
      inventoryUrl: serviceUrl("INVENTORY", 3002),
      consoleUrl,
      secret: devJwtSecret(settings).secret,
      brokers: settings.kafka.brokers,
    });
    return 0;
  } catch (error) {
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    console.error("[demo] is the system running? (npm start)");
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main().then((code) => process.exit(code));
