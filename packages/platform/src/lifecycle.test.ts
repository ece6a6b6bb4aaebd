import { once } from "node:events";
import { createServer, type IncomingMessage, request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { drainable, runEvery } from "./lifecycle.js";

/** A server whose handler answers only when `release` is called. */
async function slowServer() {
  const waiting: (() => void)[] = [];
  const server = createServer((_req, res) => {
    waiting.push(() => res.end("done"));
  });
  const connections = drainable(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const release = () => {
    for (const answer of waiting.splice(0)) answer();
  };
  return { server, connections, port, waiting, release };
}

function get(port: number): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, (res: IncomingMessage) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("a drainable HTTP server", () => {
  it("answers a request in flight at the stop, then closes", async () => {
    const { connections, port, waiting, release } = await slowServer();
    const answer = get(port);
    while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const closed = connections.close({ quietMs: 10 });
    release();
    expect(await answer).toMatchObject({ status: 200, body: "done" });
    await closed;
  });

  it("answers a request that arrives on an open connection after the stop began, with Connection: close", async () => {
    const { connections, port, release } = await slowServer();
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    const closed = connections.close({ quietMs: 10, graceMs: 5_000 });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      release();
    });
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const interval = setInterval(release, 5);
    await once(socket, "close");
    clearInterval(interval);
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).toContain("connection: close");
    await closed;
  });

  it("closes a keep-alive connection that sits between two requests, without waiting for it to time out", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    server.keepAliveTimeout = 10 * 60_000;
    const connections = drainable(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(socket, "data");
    const ended = once(socket, "end");
    await connections.close({ quietMs: 10, graceMs: 10 * 60_000 });
    await ended;
    socket.destroy();
  });
});

describe("a task run every interval", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("skips a tick while the last run is still going, and stop waits for that run", async () => {
    vi.useFakeTimers();
    let runs = 0;
    let finish = () => {};
    const task = runEvery(100, () => {
      runs++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    await vi.advanceTimersByTimeAsync(350);
    expect(runs).toBe(1);

    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(runs).toBe(1);
  });

  it("runs again once the last run has finished, and not after the stop", async () => {
    vi.useFakeTimers();
    let runs = 0;
    const task = runEvery(100, async () => {
      runs++;
    });
    await vi.advanceTimersByTimeAsync(350);
    expect(runs).toBe(3);
    await task.stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toBe(3);
  });
});
