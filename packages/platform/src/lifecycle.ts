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
