/**
 * The README's first steps as a new user takes them: `npm start`, wait until it prints the
 * tokens, stock two products and place the walkthrough's order over HTTP, watch it reach its
 * final status, press Ctrl-C, and check that nothing it started is still running. Prints one line
 * of figures; exits 1 with the reason and the end of `npm start`'s output on any failure.
 *
 * Run by .ci/run before `npm test`: `npm run smoke:start --workspace=@stocksaga/tests`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const stackDir = process.env.STOCKSAGA_STACK_DIR ?? resolve(repoRoot, ".stack");
const orderUrl = `http://127.0.0.1:${process.env.ORDER_SERVICE_PORT ?? 3001}`;
const inventoryUrl = `http://127.0.0.1:${process.env.INVENTORY_SERVICE_PORT ?? 3002}`;
const consolePort = Number(process.env.CONSOLE_PORT ?? 3000);
const START_TIMEOUT_MS = 15 * 60_000;
const FINAL = new Set(["CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"]);

class SmokeFailure extends Error {}

let output = "";

function startNpm(): ChildProcess {
  // Its own process group, so that Ctrl-C can be imitated: SIGINT to the whole group.
  const child = spawn("npm", ["start"], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return child;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new SmokeFailure(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

async function call(url: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(url, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function expectStatus(what: string, actual: { status: number; body: unknown }, expected: number): void {
  if (actual.status !== expected) {
    throw new SmokeFailure(
      `${what}: HTTP ${actual.status}, expected ${expected}: ${JSON.stringify(actual.body)}`,
    );
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => done(true)));
  });
}

/** This process and the ones that started it (`npm run …`), which run in the repository too. */
function ancestors(): Set<number> {
  const chain = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !chain.has(pid)) {
    chain.add(pid);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return chain;
}

/** Processes that run in this repository (the services, tsx) or name its stack folder (Kafka, the registry). */
function leftovers(): string[] {
  const mine = ancestors();
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || mine.has(Number(entry))) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // This script's own helpers (tsx's esbuild service) are not what npm start left behind.
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const started = /^(\S*\/)?(node|java|npm|sh)\b/.test(cmdline) && cwd.startsWith(repoRoot);
      if (started || cmdline.includes(`-Dstocksaga.stack=${stackDir}`)) {
        found.push(`${entry} ${cmdline.slice(0, 100)}`);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * The console as `npm start` prints it: its line, sign-in links carrying the printed tokens, the
 * page under a CSP that lets it reach the two services only, and `/config.json` naming them.
 */
async function checkConsole(tokens: { admin: string; customer: string }): Promise<void> {
  const consoleUrl = /^console (http:\/\/\S+?)\/?$/m.exec(output)?.[1];
  if (consoleUrl !== `http://127.0.0.1:${consolePort}`) {
    throw new SmokeFailure(`npm start printed no "console http://127.0.0.1:${consolePort}/" line`);
  }
  for (const [who, token] of [
    ["alice", tokens.customer],
    ["admin", tokens.admin],
  ] as const) {
    if (!output.includes(`sign in as ${who}`) || !output.includes(`${consoleUrl}/#token=${token}`)) {
      throw new SmokeFailure(`npm start printed no console sign-in link for ${who} with its token`);
    }
  }
  const page = await fetch(`${consoleUrl}/`, { signal: AbortSignal.timeout(10_000) });
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<div id="root">')) {
    throw new SmokeFailure(`GET ${consoleUrl}/: HTTP ${page.status}, not the console's page`);
  }
  const csp = page.headers.get("content-security-policy") ?? "";
  const connect = /connect-src ([^;]+)/.exec(csp)?.[1]?.split(" ") ?? [];
  if (!connect.includes(orderUrl) || !connect.includes(inventoryUrl) || !csp.includes("script-src 'self'")) {
    throw new SmokeFailure(`the console's Content-Security-Policy does not fit: ${csp || "none"}`);
  }
  const config = await call(`${consoleUrl}/config.json`);
  expectStatus("GET /config.json", config, 200);
  const expected = { orderServiceUrl: orderUrl, inventoryServiceUrl: inventoryUrl };
  if (JSON.stringify(config.body) !== JSON.stringify(expected)) {
    throw new SmokeFailure(
      `/config.json is ${JSON.stringify(config.body)}, expected ${JSON.stringify(expected)}`,
    );
  }
}

async function main(): Promise<string> {
  const startedAt = Date.now();
  const npm = startNpm();
  const exited = new Promise<string>((done) =>
    npm.once("exit", (code, signal) => done(signal ?? `code ${code}`)),
  );
  let npmExit: string | undefined;
  void exited.then((code) => {
    npmExit = code;
  });
  try {
    const tokens = await until("npm start printing its tokens", START_TIMEOUT_MS, () => {
      if (npmExit !== undefined) throw new SmokeFailure(`npm start exited (${npmExit}) before it was ready`);
      const admin = /export ADMIN_TOKEN=(\S+)/.exec(output)?.[1];
      const customer = /export TOKEN=(\S+)/.exec(output)?.[1];
      return admin && customer ? { admin, customer } : undefined;
    });
    const readyMs = Date.now() - startedAt;
    await checkConsole(tokens);

    // The README's walkthrough, with SKUs of this run so that it can run again on the same databases.
    const run = randomUUID().slice(0, 8);
    const mug = `MUG-${run}`;
    const tee = `TEE-${run}`;
    for (const [sku, name, onHand] of [
      [mug, "Mug", 5],
      [tee, "T-shirt M", 2],
    ] as const) {
      const created = await call(`${inventoryUrl}/products`, {
        method: "POST",
        token: tokens.admin,
        json: { sku, name, onHand },
      });
      expectStatus(`POST /products ${sku}`, created, 201);
    }
    const placedAt = Date.now();
    const placed = await call(`${orderUrl}/orders`, {
      method: "POST",
      token: tokens.customer,
      headers: { "idempotency-key": `first-order-${run}` },
      json: {
        items: [
          { sku: mug, quantity: 2 },
          { sku: tee, quantity: 3 },
        ],
        fulfilment: "PARTIAL",
      },
    });
    expectStatus("POST /orders", placed, 202);
    const orderId = (placed.body as { orderId: string }).orderId;
    const final = await until(`order ${orderId} reaching a final status`, 60_000, async () => {
      const read = await call(`${orderUrl}/orders/${orderId}`, { token: tokens.customer });
      expectStatus(`GET /orders/${orderId}`, read, 200);
      const order = read.body as {
        status: string;
        items: { sku: string; confirmedQuantity: number | null }[];
      };
      return FINAL.has(order.status) ? order : undefined;
    });
    const decidedMs = Date.now() - placedAt;
    const confirmed = final.items.map((item) => `${item.confirmedQuantity}`).join("+");
    if (final.status !== "ADJUSTED" || confirmed !== "2+2") {
      throw new SmokeFailure(
        `order ${orderId} ended ${final.status} with ${confirmed} units; the README says ADJUSTED, 2+2`,
      );
    }

    // Ctrl-C, as a person would press it.
    const stopAt = Date.now();
    process.kill(-(npm.pid as number), "SIGINT");
    const code = await Promise.race([exited, sleep(60_000, "timeout" as const, { ref: false })]);
    if (code === "timeout") throw new SmokeFailure("npm start did not stop within 60 s of Ctrl-C");
    const stoppedMs = Date.now() - stopAt;
    const busy: number[] = [];
    for (const port of [consolePort, 3001, 3002, 9092, 9093, 8081, 8091])
      if (!(await portFree(port))) busy.push(port);
    const left = leftovers();
    if (busy.length > 0 || left.length > 0) {
      throw new SmokeFailure(
        `still running after Ctrl-C: ports ${busy.join(", ") || "none"}; processes ${left.join(" | ") || "none"}`,
      );
    }
    return `smoke: npm start ready in ${(readyMs / 1000).toFixed(1)} s; order ${final.status} (2+2 of 2+3) in ${decidedMs} ms; stopped in ${(stoppedMs / 1000).toFixed(1)} s after Ctrl-C (${code}); nothing left running`;
  } finally {
    if (npmExit === undefined) {
      try {
        process.kill(-(npm.pid as number), "SIGINT");
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(60_000, undefined, { ref: false })]);
    }
  }
}

main().then(
  (line) => {
    console.log(line);
  },
  (error: unknown) => {
    console.error(`smoke: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`--- last output of npm start ---\n${output.split("\n").slice(-40).join("\n")}`);
    process.exitCode = 1;
  },
);
