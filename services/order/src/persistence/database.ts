import { PrismaPg } from "@prisma/adapter-pg";
import { type Prisma, PrismaClient } from "../generated/prisma/client.js";

export type Tx = Prisma.TransactionClient;
export type Database = PrismaClient;

export function createDatabase(url: string, poolSize: number): Database {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: poolSize }),
    // A burst of requests queues for the pool's connections; Prisma's default wait (2 s) turned a
    // burst of 50 orders on a busy machine into 500s. Past this wait it is a 503 (platform).
    transactionOptions: { maxWait: 10_000 },
  });
}

/** Serialises state changes of one order across transactions and instances; see docs/architecture.md. */
export const ORDER_CHANGED_CHANNEL = "order_changed";
export const OUTBOX_CHANNEL = "order_outbox";
export const OUTBOX_LOCK_KEY = 0x5a6a_0001;
