import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/**
 * Standard output, written asynchronously: a line costs a copy into a buffer, not a write(2) that
 * blocks the event loop (sonic-boom writes what gathered while the last write was in flight).
 * pino flushes it synchronously on `process.exit` and on `beforeExit`, so a graceful stop, which
 * ends in `process.exit`, loses no line; only a SIGKILL loses what was still buffered. A worker
 * thread transport would do the same with a thread more per service, on a machine of two cores.
 */
export function stdoutDestination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** JSON lines (on stdout unless told otherwise); secrets in known places are redacted, whatever logs them. */
export function createLogger(
  service: string,
  level: string,
  destination: pino.DestinationStream = stdoutDestination(),
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "password",
          "*.password",
          "secret",
          "*.secret",
          "token",
          "*.token",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
