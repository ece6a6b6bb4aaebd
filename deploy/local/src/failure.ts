import { existsSync, readFileSync } from "node:fs";

/**
 * A failure of one component of the local system, told to a person: which component, what
 * happened, and where its log is. `npm start`, `stack:up` and the tests' global setup print it
 * with `describeFailure`, never as a stack trace.
 */
export class StackError extends Error {
  constructor(
    readonly component: string,
    readonly reason: string,
    readonly logFile?: string,
  ) {
    super(`${component}: ${reason}`);
    this.name = "StackError";
  }
}

/** A prerequisite the machine lacks (Java, Maven, PostgreSQL, a free port): one line says what to do. */
export class MissingPrerequisite extends StackError {
  override readonly name = "MissingPrerequisite";
}

const TAIL_LINES = 20;

/** The last lines of a log, or why there are none. */
export function tailOf(logFile: string, lines = TAIL_LINES): string[] {
  if (!existsSync(logFile)) return ["(no log was written)"];
  const text = readFileSync(logFile, "utf8").trimEnd();
  if (text === "") return ["(the log is empty)"];
  return text.split("\n").slice(-lines);
}

/**
 * The text to print for a failure, each line after `prefix`: a missing prerequisite is one line;
 * a component's failure adds the last lines of its log and the log's path; anything else is a bug
 * of ours, so its stack is worth printing.
 */
export function describeFailure(error: unknown, prefix: string): string {
  if (!(error instanceof StackError)) {
    return `${prefix} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  if (error.logFile === undefined) return `${prefix} ${error.message}`;
  return [
    `${prefix} ${error.message}`,
    `  last lines of ${error.logFile}:`,
    ...tailOf(error.logFile).map((line) => `  | ${line}`),
    `  full log: ${error.logFile}`,
  ].join("\n");
}
