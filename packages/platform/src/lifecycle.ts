import type { Server } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";

export interface Running {
  /** Stops taking work, finishes what is in flight, flushes, releases; must be idempotent. */
  stop: () => Promise<void>;
}

/**
 * Runs a service until SIGTERM/SIGINT, then stops it within `shutdownTimeoutMs` (exit 0), or
 * exits 1 when stopping takes longer or start-up fails. A fatal error (a crashed consumer, an
 * unhandled rejection) shuts down the same way with exit code 1, so a supervisor restarts it.
 */
export async function runUntilSignalled(options: {
  logger: Logger;
  shutdownTimeoutMs: number;
  start: (fatal: (error: unknown) => void) => Promise<Running>;
}): Promise<void> {
  const { logger } = options;
  let started: Promise<Running> | undefined;
  let stopping: Promise<void> | undefined;

  const shutdown = (reason: string, exitCode: number) => {
    if (stopping) return stopping;
    logger.info({ reason }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.shutdownTimeoutMs }, "shutdown timed out; exiting");
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    // A signal during start-up waits for the start to finish, then stops what it started.
    stopping = (started ?? Promise.reject(new Error("not started")))
      .then((running) => running.stop())
      .then(
        () => {
          logger.info("stopped");
          process.exit(exitCode);
        },
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    return stopping;
  };

  const fatal = (error: unknown) => {
    logger.fatal({ err: error }, "fatal error");
    void shutdown("fatal error", 1);
  };

  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.once("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("unhandledRejection", fatal);
  process.on("uncaughtException", fatal);

  started = options.start(fatal);
  try {
    await started;
  } catch (error) {
    logger.fatal({ err: error }, error instanceof Error ? error.message : "start-up failed");
    process.exit(1);
  }
}

/**
 * Runs `task` every `intervalMs`, one run at a time per process: a tick that finds the last run
 * still going skips. `stop` clears the timer, then waits for the run in progress.
 */
export function runEvery(intervalMs: number, task: () => Promise<void>): Running {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

export interface DrainableServer {
  /**
   * Stops accepting connections and resolves once every open one has closed: requests in flight
   * finish, anything that arrives on an open connection is still answered (with
   * `Connection: close`), and a connection that has sent nothing gets `graceMs` to send its request.
   */
  close: (options?: { quietMs?: number; maxAcceptMs?: number; graceMs?: number }) => Promise<void>;
}

/**
 * Wraps an HTTP server for a graceful stop, which `http.Server#close` alone is not:
 * - closing the listening socket resets every connection still queued in the kernel's backlog,
 *   which a busy event loop has not accepted yet, though its client has sent the request: so
 *   connections are still accepted until none has arrived for `quietMs` (at most `maxAcceptMs`);
 * - it destroys every connection it deems idle, including one whose request has arrived but is
 *   not parsed yet: so only connections between two requests are closed, and one that has sent
 *   nothing yet gets `graceMs`.
 * Every response from the stop on says `Connection: close`. Call this right after creating the
 * server, so that it sees every connection.
 */
export function drainable(server: Server): DrainableServer {
  const connections = new Map<Socket, { active: number; served: number }>();
  let closing = false;
  let lastConnectionAt = 0;

  server.on("connection", (socket: Socket) => {
    lastConnectionAt = Date.now();
    connections.set(socket, { active: 0, served: 0 });
    socket.once("close", () => connections.delete(socket));
  });
  server.prependListener("request", (request, response) => {
    const socket = request.socket;
    const state = connections.get(socket);
    if (state) state.active++;
    if (closing) response.setHeader("connection", "close");
    response.once("close", () => {
      if (!state) return;
      state.active--;
      state.served++;
      // A response begun before the stop promised keep-alive: end the connection once it is sent.
      if (closing && state.active === 0) socket.end();
    });
  });

  const acceptUntilQuiet = async (quietMs: number, maxAcceptMs: number) => {
    const deadline = Date.now() + maxAcceptMs;
    for (;;) {
      const wait = Math.min(lastConnectionAt + quietMs, deadline) - Date.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  };

  return {
    close: async ({ quietMs = 200, maxAcceptMs = 2_000, graceMs = 1_000 } = {}) => {
      closing = true;
      for (const [socket, state] of connections) if (state.active === 0 && state.served > 0) socket.end();
      await acceptUntilQuiet(quietMs, maxAcceptMs);
      // Keep http.Server#close from dropping connections it deems idle; they are handled here.
      (server as { closeIdleConnections: () => void }).closeIdleConnections = () => undefined;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [socket, state] of connections) {
        if (state.active > 0) continue;
        if (state.served > 0) {
          socket.end();
          continue;
        }
        const timer = setTimeout(() => {
          const now = connections.get(socket);
          if (now?.served === 0 && now.active === 0) socket.destroy();
        }, graceMs);
        timer.unref();
      }
      await closed;
    },
  };
}
