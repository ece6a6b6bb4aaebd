import type { Attempt } from "./load.js";
import { type Percentiles, summarize } from "./stats.js";

/** Answers that mean "not now": admission control refusing work, not a failure to do it. */
const REFUSAL_STATUSES = new Set([429, 503]);

export interface Refusals {
  count: number;
  byStatus: Record<string, number>;
  /** Scheduled send time to the refusal arriving back, ms: how fast the excess was turned away. */
  latencyMs: Percentiles;
  /** Refusals that said when to come back (`Retry-After`). */
  withRetryAfter: number;
  /** Refusals answered as `application/problem+json`. */
  problemJson: number;
}

export function isRefusal(attempt: Pick<Attempt, "httpStatus">): boolean {
  return attempt.httpStatus !== undefined && REFUSAL_STATUSES.has(attempt.httpStatus);
}

export function refusalsOf(attempts: readonly Attempt[]): Refusals {
  const refused = attempts.filter(isRefusal);
  const byStatus: Record<string, number> = {};
  for (const attempt of refused)
    byStatus[String(attempt.httpStatus)] = (byStatus[String(attempt.httpStatus)] ?? 0) + 1;
  return {
    count: refused.length,
    byStatus,
    latencyMs: summarize(refused.map((a) => (a.answeredAt ?? a.scheduledAt) - a.scheduledAt)),
    withRetryAfter: refused.filter((a) => a.retryAfter !== undefined && a.retryAfter !== "").length,
    problemJson: refused.filter((a) => a.contentType?.split(";")[0]?.trim() === "application/problem+json")
      .length,
  };
}
