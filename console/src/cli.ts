import { startConsoleServer } from "./server.js";

/** The console alone, for the services on their default (or configured) local ports. */
const server = await startConsoleServer({
  port: Number(process.env.CONSOLE_PORT ?? 3000),
  host: process.env.CONSOLE_HOST ?? "127.0.0.1",
  orderServiceUrl:
    process.env.ORDER_SERVICE_URL ?? `http://127.0.0.1:${process.env.ORDER_SERVICE_PORT ?? 3001}`,
  inventoryServiceUrl:
    process.env.INVENTORY_SERVICE_URL ?? `http://127.0.0.1:${process.env.INVENTORY_SERVICE_PORT ?? 3002}`,
  log: (line) => console.log(line),
});
console.log(`console ${server.url}/`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void server.close().then(() => process.exit(0)));
}
