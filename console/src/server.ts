import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

export const consoleRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
export const defaultDistDir = join(consoleRoot, "dist");

export interface ConsoleServerOptions {
  /** Where the services are, as the browser reaches them (their origins go into the CSP). */
  orderServiceUrl: string;
  inventoryServiceUrl: string;
  port?: number;
  host?: string;
  distDir?: string;
  /** One line per request: method, path (never the query: tokens must not reach a log), status. */
  log?: (line: string) => void;
}

export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

export function contentSecurityPolicy(
  options: Pick<ConsoleServerOptions, "orderServiceUrl" | "inventoryServiceUrl">,
) {
  const services = [...new Set([originOf(options.orderServiceUrl), originOf(options.inventoryServiceUrl)])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self' ${services.join(" ")}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The console's HTTP app: the built assets and `/config.json`, every answer under a strict CSP. */
export function consoleApp(options: ConsoleServerOptions): Hono {
  const distDir = options.distDir ?? defaultDistDir;
  if (!existsSync(join(distDir, "index.html"))) {
    throw new Error(
      `the console is not built: ${distDir}/index.html is missing (npm run build -w @stocksaga/console)`,
    );
  }
  const csp = contentSecurityPolicy(options);
  const config = JSON.stringify({
    orderServiceUrl: options.orderServiceUrl.replace(/\/+$/, ""),
    inventoryServiceUrl: options.inventoryServiceUrl.replace(/\/+$/, ""),
  });
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    c.header("content-security-policy", csp);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("cross-origin-opener-policy", "same-origin");
    options.log?.(`${c.req.method} ${c.req.path} ${c.res.status}`);
  });
  app.get("/config.json", (c) => {
    c.header("cache-control", "no-store");
    return c.body(config, 200, { "content-type": "application/json" });
  });
  app.use("/assets/*", async (c, next) => {
    await next();
    // Vite names every asset after its content: it never changes under the same name.
    if (c.res.status === 200) c.header("cache-control", "public, max-age=31536000, immutable");
  });
  app.use("*", serveStatic({ root: relative(process.cwd(), distDir) || "." }));
  app.get("/", serveStatic({ path: relative(process.cwd(), join(distDir, "index.html")) }));
  app.notFound((c) => c.text("Not found", 404));
  return app;
}

/** Serves the console on `host:port` (port 0: any free one); resolves once it listens. */
export function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const app = consoleApp(options);
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      port: options.port ?? 3000,
      hostname: options.host ?? "127.0.0.1",
    });
    server.once("error", reject);
    server.once("listening", () => {
      const { port, address } = server.address() as AddressInfo;
      resolve({
        url: `http://${address}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
  });
}
