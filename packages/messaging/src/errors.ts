/**
 * A message that decoded but can never be applied (impossible content: a negative quantity,
 * an order that does not exist). The consumer dead-letters it and carries on.
 */
export class InvalidEventError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidEventError";
  }
}

/** Anything a codec throws for bytes it cannot turn into an event. */
export interface DecodeFailure extends Error {
  readonly kind: string;
}

export function isDecodeFailure(error: unknown): error is DecodeFailure {
  return (
    error instanceof Error &&
    error.name === "DecodeError" &&
    typeof (error as { kind?: unknown }).kind === "string"
  );
}
