import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** JSON lines on stdout; secrets in known places are redacted, whatever logs them. */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
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
