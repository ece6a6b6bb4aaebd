import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Change } from "@stocksaga/messaging";
import { authenticate, authProblems, createRoutes } from "@stocksaga/platform";
import { streamSSE } from "hono/streaming";
import type { ProductRecord } from "../persistence/inventory-store.js";
import type { InventoryEnv, InventoryReads } from "./products.js";
import { type ProductView, viewOfProduct } from "./views.js";

/** Committed product changes, as the stream consumes them (a ChangeFeed of SKUs). */
export interface ProductChanges {
  watch(options: { keepAliveMs: number; signal?: AbortSignal }): AsyncIterableIterator<Change>;
}

export type ProductStreamReads = Pick<InventoryReads, "findProducts" | "listProducts">;

export const PRODUCT_STREAM_KEEP_ALIVE_MS = 15_000;
const PAGE = 500;

async function everyProduct(store: ProductStreamReads): Promise<ProductRecord[]> {
  const all: ProductRecord[] = [];
  for (;;) {
    const after = all.at(-1)?.sku;
    const page = await store.listProducts({ limit: PAGE, ...(after ? { after } : {}) });
    all.push(...page);
    if (page.length < PAGE) return all;
  }
}

const productStreamRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["products"],
  summary: "Live catalogue (Server-Sent Events)",
  description:
    "Any valid token. `event: snapshot` first, with `{ items: Product[] }` (every product, in SKU order); then `event: product` with a Product each time a committed change (creation, adjustment, reservation, commit, release, expiry) alters it; `: keep-alive` comments every 15 s, at which the catalogue is re-read and whatever differs is sent.",
  responses: {
    200: {
      description: "A stream of `snapshot` and `product` events.",
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            example:
              'event: snapshot\ndata: {"items":[…]}\n\nevent: product\ndata: {"sku":"SKU-RED-MUG",…}\n\n',
          }),
        },
      },
    },
    ...authProblems,
  },
});

/**
 * `GET /products/stream` (any valid token): one `snapshot` event with every product, then a
 * `product` event whenever a committed change alters one. Changes are announced after their commit,
 * best effort, so the whole catalogue is re-read at every keep-alive and whatever differs is sent.
 */
export function productStreamRoutes(deps: {
  store: ProductStreamReads;
  changes: ProductChanges;
  jwtSecret: string;
  keepAliveMs?: number;
}): OpenAPIHono<InventoryEnv> {
  const app = createRoutes<InventoryEnv>();
  const keepAliveMs = deps.keepAliveMs ?? PRODUCT_STREAM_KEEP_ALIVE_MS;

  app.openapi({ ...productStreamRoute, middleware: [authenticate(deps.jwtSecret)] }, async (c) => {
    const ended = new AbortController();
    // Watching starts before the snapshot is read: a change committed in between is not lost.
    const changes = deps.changes.watch({ keepAliveMs, signal: ended.signal });
    let snapshot: ProductView[];
    try {
      snapshot = (await everyProduct(deps.store)).map(viewOfProduct);
    } catch (error) {
      await changes.return?.();
      throw error;
    }
    return streamSSE(
      c,
      async (stream) => {
        stream.onAbort(() => ended.abort());
        const sent = new Map(snapshot.map((view) => [view.sku, JSON.stringify(view)]));
        const send = async (records: readonly ProductRecord[]) => {
          for (const record of records) {
            const data = JSON.stringify(viewOfProduct(record));
            if (sent.get(record.sku) === data) continue;
            sent.set(record.sku, data);
            await stream.writeSSE({ event: "product", data });
          }
        };
        try {
          await stream.writeSSE({ event: "snapshot", data: JSON.stringify({ items: snapshot }) });
          for await (const change of changes) {
            if (stream.aborted || stream.closed) break;
            if (change.kind === "changed") {
              await send(await deps.store.findProducts([...change.keys]));
              continue;
            }
            if (change.kind === "keep-alive") await stream.write(": keep-alive\n\n");
            await send(await everyProduct(deps.store));
          }
        } finally {
          ended.abort();
          await changes.return?.();
        }
      },
      async (error, stream) => {
        c.var.logger.warn({ err: error }, "product stream ended on an error");
        await stream.close();
      },
    );
  });

  return app;
}
