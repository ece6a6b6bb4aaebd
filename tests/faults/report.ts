import type { HarnessReport } from "./harness.js";

const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

function table(entries: Record<string, number>): string[] {
  const keys = Object.keys(entries).sort();
  const width = Math.max(0, ...keys.map((key) => key.length));
  return keys.map((key) => `    ${key.padEnd(width)}  ${entries[key]}`);
}

/** The figures of a run, and its violations grouped by check, as printable lines. */
export function formatReport(report: HarnessReport, maxDetails = 20): string[] {
  const { orders, cancellations, adjustments, requests, recovery, availability } = report;
  const { decisions } = report;
  const lines = [
    `fault harness run ${report.runTag} (seed ${report.seed}): load ${seconds(report.durations.loadMs)}, total ${seconds(report.durations.totalMs)}`,
    `  on ${report.brokers} broker${report.brokers === 1 ? "" : "s"}, PostgreSQL ${report.postgres === "throwaway" ? "a throwaway cluster of the run" : "of the stack"}`,
    `  rejected by TIMEOUT (decision deadline ${seconds(report.decisionTimeoutMs)}): ${decisions.timedOut} (${(100 * decisions.timedOutShare).toFixed(1)} % of accepted orders); ` +
      `longest stall without a saga answer ${seconds(decisions.longestStallMs)}`,
    "  longest stall per fault kind (faults injected / longest stall):",
    ...Object.entries(decisions.byFault)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, figures]) => `    ${kind}: ${figures.faults} / ${seconds(figures.longestStallMs)}`),
    "  timeline from the start of the load (fault at +s for s; stall at +s for s):",
    ...[
      ...report.faultLog.map((fault) => ({
        at: fault.at - report.loadStartedAt,
        line: `fault ${fault.kind} for ${seconds(fault.durationMs)}: ${fault.detail}`,
      })),
      ...decisions.stalls.map((stall) => ({ at: stall.fromMs, line: `stall for ${seconds(stall.ms)}` })),
    ]
      .sort((a, b) => a.at - b.at)
      .map(({ at, line }) => `    +${(at / 1000).toFixed(1).padStart(6)} s  ${line}`),
    ...(report.leaderMoves.length > 0
      ? [
          "  leaderships moved off a killed broker:",
          ...report.leaderMoves.map(
            (move) =>
              `    broker ${move.broker}: ${move.partitions} saga partitions, none left on it after ${seconds(move.movedInMs)}`,
          ),
        ]
      : []),
    `  orders: ${orders.placed} placed, ${orders.accepted} accepted (${(orders.accepted / (report.durations.loadMs / 1000)).toFixed(1)}/s)`,
    ...table(orders.byStatus),
    "  rejections by reason:",
    ...table(orders.rejectionReasons),
    `  cancellations: ${cancellations.requestedRightAway} requested right after placing, ${cancellations.requestedAfterConfirmation} after confirmation; ` +
      `cancelled ${cancellations.whilePending} while pending, ${cancellations.afterDecision} after a decision`,
    `  admin adjustments: ${adjustments.applied} applied, ${adjustments.refused} refused, ${adjustments.ambiguous} unanswered (${adjustments.ambiguousApplied} of them applied)`,
    "  faults injected:",
    ...table(report.faults),
    `  instance starts: ${report.instanceStarts.total} (${report.instanceStarts.withDuplicatePublish} with duplicate publishing); unexpected exits: ${report.unexpectedExits.length}`,
    `  recovery after the last fault: caught up (lag 0, outboxes empty) in ${seconds(recovery.caughtUpMs)}, every order final in ${seconds(recovery.settledMs)}`,
    "  dead letters by reason:",
    ...table(report.deadLettersByReason),
    `  poison dead-lettered more than once (redelivered after a crash): ${report.poisonDeadLetteredAgain}; ` +
      `poison of earlier, interrupted runs: ${report.earlierPoison}`,
    "  topics (records / distinct events of the run / duplicate deliveries):",
    ...Object.entries(report.topics).map(
      ([topic, figures]) =>
        `    ${topic}: ${figures.records} / ${figures.events} / ${figures.duplicateDeliveries}`,
    ),
    `  requests: ${requests.requests}; retried after the instance died mid-request ${requests.retriedAfterInstanceDied}, ` +
      `rerouted from a down instance ${requests.rerouted}, retried after 5xx ${requests.retriedAfterServerError}, ` +
      `after a timeout ${requests.retriedAfterTimeout}; unanswered and not repeatable ${requests.ambiguous}; ` +
      `waited for an instance ${requests.waitedForAnInstance}; load ticks throttled ${report.throttledTicks}`,
    `  available (on hand − reserved): minimum ${availability.minAvailable} over ${availability.samples} samples (${availability.failedSamples} failed)`,
    "  stock (initial + adjusted − committed = on hand):",
    ...report.stock.map(
      (entry) =>
        `    ${entry.sku}: ${entry.initial} + ${entry.adjusted} − ${entry.committed} = ${entry.onHand}`,
    ),
  ];
  if (report.violations.length === 0) {
    lines.push("  no violations");
    return lines;
  }
  lines.push(`  ${report.violations.length} VIOLATIONS:`);
  const byCheck = new Map<string, string[]>();
  for (const violation of report.violations) {
    byCheck.set(violation.check, [...(byCheck.get(violation.check) ?? []), violation.detail]);
  }
  for (const [check, details] of byCheck) {
    lines.push(`    ${check} (${details.length}):`);
    for (const detail of details.slice(0, maxDetails)) lines.push(`      - ${detail}`);
    if (details.length > maxDetails) lines.push(`      … and ${details.length - maxDetails} more`);
  }
  return lines;
}
