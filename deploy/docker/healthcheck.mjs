// Container health probe for the stocksaga images (the slim runtime has no curl).
//
//   node deploy/docker/healthcheck.mjs [live|ready]
//
// GETs http://127.0.0.1:<port>/health/<live|ready> of the service this container runs and exits
// 0 on a 2xx answer, 1 otherwise. The service is $SERVICE (order | inventory); its port is
// ORDER_SERVICE_PORT / INVENTORY_SERVICE_PORT, with the services' own defaults (3001 / 3002).

const defaults = {
  order: { variable: "ORDER_SERVICE_PORT", port: 3001 },
  inventory: { variable: "INVENTORY_SERVICE_PORT", port: 3002 },
};

const probe = process.argv[2] ?? "live";
const service = process.env.SERVICE ?? "order";
const known = defaults[service];

function fail(message) {
  console.error(`healthcheck: ${message}`);
  process.exit(1);
}

if (probe !== "live" && probe !== "ready") fail(`unknown probe "${probe}" (expected live or ready)`);
if (known === undefined) fail(`unknown SERVICE "${service}" (expected order or inventory)`);

const port = Number(process.env[known.variable]?.trim() || known.port);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) fail(`${known.variable} is not a port`);

try {
  const response = await fetch(`http://127.0.0.1:${port}/health/${probe}`, {
    signal: AbortSignal.timeout(4_000),
  });
  if (!response.ok) fail(`/health/${probe} answered ${response.status}: ${await response.text()}`);
} catch (error) {
  fail(`/health/${probe} on port ${port}: ${error instanceof Error ? error.message : String(error)}`);
}
process.exit(0);
