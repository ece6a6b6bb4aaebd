import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { ProblemError } from "./problem.js";

/**
 * One measure of work the system has taken on and not finished (orders pending a decision, outbox
 * rows not yet published, events not yet consumed), with the level past which taking on more would
 * put the saga's decision deadline at risk.
 */
export interface BacklogSignal {
  readonly name: string;
  readonly value: number;
  readonly limit: number;
  /** How the value is told to a person: "orders", "ms", "rows", "events". */
  readonly unit: string;
}

export type AdmissionDecision =
  | { readonly admit: true }
  | {
      readonly admit: false;
      /** The name of the signal past its limit. */
      readonly signal: string;
      readonly reason: string;
      readonly retryAfterSeconds: number;
    };

/** Retry-After is never shorter than a second nor longer than this. */
const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Admit unless a signal is at or past its limit; then refuse, naming the signal, and suggest
 * retrying after the time the backlog needs to fall back below its limit, judged from how far past
 * it the signal is (a backlog twice its limit needs about as long again to drain as it took to
 * build). A limit of 0 or less turns a signal off.
 */
export function decideAdmission(
  signals: readonly BacklogSignal[],
  options: { baseRetryAfterSeconds: number },
): AdmissionDecision {
  let worst: { signal: BacklogSignal; ratio: number } | undefined;
  for (const signal of signals) {
    if (signal.limit <= 0 || signal.value < signal.limit) continue;
    const ratio = signal.value / signal.limit;
    if (!worst || ratio > worst.ratio) worst = { signal, ratio };
  }
  if (!worst) return { admit: true };
  const { signal, ratio } = worst;
  const retryAfterSeconds = Math.min(
    MAX_RETRY_AFTER_SECONDS,
    Math.max(1, Math.ceil(options.baseRetryAfterSeconds * ratio)),
  );
  return {
    admit: false,
    signal: signal.name,
    reason: `${signal.name} is ${Math.round(signal.value)} ${signal.unit}, at or past its limit of ${signal.limit}`,
    retryAfterSeconds,
  };
}

export interface AdmissionControlOptions {
  /** Reads the current backlog; called every `intervalMs`, never on a request's path. */
  sample: () => Promise<readonly BacklogSignal[]>;
  /**
   * Signals read on each request, for in-process numbers that cost nothing to read and can grow
   * faster than the sampling interval (a queue of this process's own).
   */
  live?: () => readonly BacklogSignal[];
  intervalMs: number;
  baseRetryAfterSeconds: number;
  logger: Logger;
  /** Told of each refusal (the name of the signal past its limit), for metrics. */
  refused?: (signal: string) => void;
}

/**
 * Admission control on the measured backlog: a sampler keeps the latest signals, and each request
 * is decided on them (and on the live signals) in constant time, so that refusing under overload
 * costs next to nothing. A sample that fails or hangs (bounded to 5 intervals) keeps the last one
 * while it is fresh, rather than refusing everything; once that one is stale it is dropped, so no
 * refusal rests on a measure of the past.
 */
export class AdmissionControl {
  private signals: readonly BacklogSignal[] = [];
  private sampledAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly options: AdmissionControlOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      if (!this.sampling) void this.refresh();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** The latest signals, sampled and live, for /metrics. */
  get latest(): readonly BacklogSignal[] {
    return [...this.signals, ...(this.options.live?.() ?? [])];
  }

  decide(): AdmissionDecision {
    const live = this.options.live?.();
    return decideAdmission(live ? [...this.signals, ...live] : this.signals, {
      baseRetryAfterSeconds: this.options.baseRetryAfterSeconds,
    });
  }

  /** Refuses the request with 503 problem+json and Retry-After when the backlog is past a limit. */
  middleware(): MiddlewareHandler {
    return async (_c, next) => {
      const decision = this.decide();
      if (!decision.admit) {
        this.options.refused?.(decision.signal);
        throw new ProblemError(
          "overloaded",
          `Too much work is in flight to take this order now (${decision.reason}); retry after ${decision.retryAfterSeconds} s.`,
          { retryAfterSeconds: decision.retryAfterSeconds },
        );
      }
      await next();
    };
  }

  /** Samples now (the timer also does, every `intervalMs`). */
  refresh(): Promise<void> {
    // A sample that hangs (a connection gone silent) must not freeze the decision on the last one.
    const timeoutMs = Math.max(1_000, this.options.intervalMs * 5);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no backlog sample within ${timeoutMs} ms`)), timeoutMs);
    });
    this.sampling = Promise.race([this.options.sample(), timedOut])
      .finally(() => clearTimeout(timer))
      .then(
        (signals) => {
          this.signals = signals;
          this.sampledAt = Date.now();
        },
        (error: unknown) => {
          // A sample too old to describe the backlog is dropped: no refusal rests on it.
          const stale = Date.now() - this.sampledAt > timeoutMs * 2;
          if (stale) this.signals = [];
          this.options.logger.warn(
            { err: error },
            stale
              ? "could not sample the backlog; deciding on live signals only"
              : "could not sample the backlog; keeping the last sample",
          );
        },
      )
      .finally(() => {
        this.sampling = undefined;
      });
    return this.sampling;
  }
}
