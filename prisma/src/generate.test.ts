import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, describe, expect, it } from "vitest";
import { dropThrowawayDatabases, throwawayDatabaseUrl } from "../test/throwaway.js";
import type { ServiceDatabase } from "./databases.js";
import { generateClient } from "./generate.js";
import { migrateDatabase } from "./migrate.js";

// A private output (git-ignored, like every src/generated/) so that these tests never rewrite a
// client a service's tests may be reading at the same time.
const outputRoot = fileURLToPath(new URL(`generated/test-${randomUUID().slice(0, 8)}/`, import.meta.url));
const databases: string[] = [];

afterAll(async () => {
  await rm(outputRoot, { recursive: true, force: true });
  await dropThrowawayDatabases(databases);
});

/**
 * The slice of each generated client these tests use. The client is imported at run time (it
 * does not exist before the test generates it), so its shape is checked here by use.
 */
interface InventoryClient {
  product: {
    create(args: { data: { sku: string; name: string; onHand: number } }): Promise<{ version: number }>;
    update(args: { where: { sku: string }; data: { reserved: number } }): Promise<unknown>;
    findUniqueOrThrow(args: {
      where: { sku: string };
    }): Promise<{ onHand: number; reserved: number; createdAt: Date }>;
  };
  outboxMessage: {
    create(args: {
      data: { eventId: string; eventType: string; topic: string; messageKey: string; payload: object };
    }): Promise<{ id: bigint; payload: unknown; headers: unknown }>;
  };
  $disconnect(): Promise<void>;
}

interface OrderClient {
  order: {
    create(args: {
      data: {
        id: string;
        customerId: string;
        fulfilment: "PARTIAL" | "ALL_OR_NOTHING";
        decisionDeadline: Date;
        lines: { create: { lineNo: number; sku: string; requestedQuantity: number }[] };
      };
    }): Promise<unknown>;
    findUniqueOrThrow(args: { where: { id: string }; include: { lines: true } }): Promise<{
      status: string;
      lines: { sku: string; status: string; confirmedQuantity: number | null }[];
    }>;
  };
  $disconnect(): Promise<void>;
}

async function generatedClient<Client>(database: ServiceDatabase, url: string): Promise<Client> {
  const outputDir = join(outputRoot, database);
  await generateClient(database, { outputDir });
  const module: unknown = await import(pathToFileURL(join(outputDir, "client.ts")).href);
  const PrismaClient: unknown =
    typeof module === "object" && module !== null ? Reflect.get(module, "PrismaClient") : undefined;
  if (typeof PrismaClient !== "function") throw new Error(`${outputDir}/client.ts exports no PrismaClient`);
  return Reflect.construct(PrismaClient, [{ adapter: new PrismaPg({ connectionString: url }) }]) as Client;
}

async function migratedDatabase(database: ServiceDatabase): Promise<string> {
  const url = throwawayDatabaseUrl(database);
  databases.push(url);
  await migrateDatabase(database, url);
  return url;
}

describe("generateClient", () => {
  it("generates once, then knows the output is up to date", async () => {
    const outputDir = join(outputRoot, "fingerprint");

    expect(await generateClient("order", { outputDir })).toMatchObject({ status: "generated" });
    expect(await generateClient("order", { outputDir })).toMatchObject({ status: "up-to-date" });
    expect(await generateClient("order", { outputDir, force: true })).toMatchObject({ status: "generated" });
  });
});

describe("a generated client through @prisma/adapter-pg", () => {
  it("round-trips inventory rows, and meets the CHECK constraints", async () => {
    const prisma = await generatedClient<InventoryClient>("inventory", await migratedDatabase("inventory"));
    try {
      const created = await prisma.product.create({ data: { sku: "SKU-1", name: "Widget", onHand: 3 } });
      expect(created.version).toBe(0);
      await prisma.product.update({ where: { sku: "SKU-1" }, data: { reserved: 2 } });
      const product = await prisma.product.findUniqueOrThrow({ where: { sku: "SKU-1" } });
      expect(product).toMatchObject({ onHand: 3, reserved: 2 });
      expect(product.createdAt).toBeInstanceOf(Date);

      await expect(prisma.product.update({ where: { sku: "SKU-1" }, data: { reserved: 4 } })).rejects.toThrow(
        /products_reserved_within_on_hand/,
      );

      const message = await prisma.outboxMessage.create({
        data: {
          eventId: randomUUID(),
          eventType: "StockAdjusted",
          topic: "stock-events",
          messageKey: "SKU-1",
          payload: { sku: "SKU-1", delta: 3 },
        },
      });
      expect(typeof message.id).toBe("bigint");
      expect(message).toMatchObject({ payload: { sku: "SKU-1", delta: 3 }, headers: {} });
    } finally {
      await prisma.$disconnect();
    }
  });

  it("round-trips an order with its lines", async () => {
    const prisma = await generatedClient<OrderClient>("order", await migratedDatabase("order"));
    try {
      const id = randomUUID();
      await prisma.order.create({
        data: {
          id,
          customerId: "customer-1",
          fulfilment: "PARTIAL",
          decisionDeadline: new Date(Date.now() + 30_000),
          lines: {
            create: [
              { lineNo: 1, sku: "SKU-2", requestedQuantity: 2 },
              { lineNo: 2, sku: "SKU-1", requestedQuantity: 1 },
            ],
          },
        },
      });

      const order = await prisma.order.findUniqueOrThrow({ where: { id }, include: { lines: true } });

      expect(order.status).toBe("PENDING");
      expect(order.lines.map((line) => [line.sku, line.status, line.confirmedQuantity]).sort()).toEqual([
        ["SKU-1", "PENDING", null],
        ["SKU-2", "PENDING", null],
      ]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
