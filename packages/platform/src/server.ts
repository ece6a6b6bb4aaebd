import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { answerClientErrors, requestErrorResponse } from "./http.js";
import { drainable } from "./lifecycle.js";

export interface Serving {
  /** The port it listens on: the one asked for, or the one picked for 0. */
  port: number;
  /** No new connections from here; resolves once every request already sent is answered. */
  close: () => Promise<void>;
}

/** Serves an app (a Hono app, anything with `fetch`) on node's HTTP server; resolves once it listens. */
export async function serve(
  app: { fetch: Parameters<typeof getRequestListener>[0] },
  host: string,
  port: number,
): Promise<Serving> {
  // Requests node or the adapter cannot parse are answered with problem+json like any other error.
  const server = createServer(getRequestListener(app.fetch, { errorHandler: requestErrorResponse }));
  answerClientErrors(server);
  const connections = drainable(server);
  server.listen(port, host);
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, close: () => connections.close() };
}
