import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { topicName } from "@stocksaga/contracts";
import type { Admin, Kafka } from "kafkajs";
import { type CpuBudget, type CpuPerOrder, cpuBudget, cpuPerOrder, type GroupRules } from "./cpu-budget.js";
import { type Attempt, arrivals, type HttpTarget, wallClock } from "./load.js";
import {
  type BacklogProbe,
  type BacklogSample,
  backlogOf,
  type CommitClock,
  type Databases,
  endOffsets,
  FINAL_STATUSES,
  publishTimes,
  type TopicOffsets,
} from "./observe.js";
import type { OverloadFigures } from "./overload.js";
import { clockTicksPerSecond, procSnapshot } from "./procfs.js";
import { isRefusal, type Refusals, refusalsOf } from "./refusals.js";
import { type Percentiles, round, slope, summarize } from "./stats.js";
import { type WorkPerOrder, type WorkProbe, workPerOrder } from "./work.js";
import type { Catalogue } from "./workload.js";

export interface StepPlan {
  kind: "warmup" | "fixed" | "search" | "overload";
  ratePerSec: number;
  durationS: number;
}

export interface StepContext {
  order: HttpTarget;
  kafka: Kafka;
  admin: Admin;
  /** Bearer tokens of the customers; orders go round-robin over them. */
  tokens: readonly string[];
  catalogue: Catalogue;
  random: () => number;
  probe: BacklogProbe;
  commits: CommitClock;
  databases: Databases;
  /** How the CPU budget tells the services, PostgreSQL, the broker, the registry and the harness apart. */
  cpuGroups: GroupRules;
  /** Reads what PostgreSQL and the services counted (transactions, statements, Kafka requests). */
  work: WorkProbe;
  /** The critical-path floor's p50, once measured: each step's latency is also given as a multiple of it. */
  criticalPathP50Ms?: number;
  /** Arrivals stop early once (orders in the system) / rate exceeds this: Little's law, mean time in system. */
  cutOffSeconds: number;
  /** ... or once draining what is in the system would take longer than this, after `graceSeconds`. */
  maxProjectedDrainS: number;
  graceSeconds: number;
  /** True once the run was interrupted and its connections are closing: sampling stops quietly. */
  interrupted?: () => boolean;
  /** Highest rate at which earlier steps completed orders: what draining can count on. */
  knownCapacity: number;
  drainCapS: number;
  log: (line: string) => void;
}

export interface StepResult {
  kind: StepPlan["kind"];
  offeredPerSec: number;
  plannedS: number;
  /** Arrival window actually run: shorter than planned when cut short. */
  durationS: number;
  cutShort: boolean;
  ordersSent: number;
  /** POSTs answered 202; refused by admission control (503, 429); and everything else (status code or error text, with counts). */
  accepted: number;
  refusedPosts: Refusals;
  failedPosts: Record<string, number>;
  /** Saga decisions per second, from 20 % into the window to the last decision (timeouts not counted). */
  achievedPerSec: number;
  /** Scheduled send time to the final status being committed (visible to readers), over accepted orders. */
  sagaLatencyMs: Percentiles;
  /** sagaLatencyMs.p50 over the critical-path floor's p50; null before the floor is measured. */
  ratioP50ToFloor: number | null;
  /** Scheduled send time to the final decision's own timestamp (orders.updated_at). */
  decisionLatencyMs: Percentiles;
  /** Scheduled send time to the 202 arriving back at the harness. */
  httpLatencyMs: Percentiles;
  outcomes: Record<string, number>;
  /** Orders still PENDING when the step gave up draining: latencies above count them at their age then. */
  unfinished: number;
  /** p50 of each segment of the saga, ms (orders sampled from the step); they add up to the whole. */
  breakdownP50Ms?: Breakdown;
  backlog: {
    start: number;
    end: number;
    peak: number;
    /** Least-squares growth over the evaluated window (after the first 20 %), in items. */
    growth: number;
    threshold: number;
    growing: boolean;
    components: Record<string, number>;
  };
  /** Backlog left by earlier steps when this one began, after waiting `waitedS` for it to drain. */
  backlogAtStart: number;
  waitedS: number;
  drained: boolean;
  drainS: number;
  rssMb: { order: number; inventory: number };
  /** CPU over the arrival window, from /proc: each process group in % of one core and ms, the machine in % of all cores. */
  cpu: CpuBudget;
  /** The same CPU over the orders that reached a final status inside the window, ms per order. */
  cpuMsPerOrder: CpuPerOrder;
  /** PostgreSQL transactions, statements, Kafka produce requests and messages per placed order, over the whole step. */
  workPerOrder: WorkPerOrder;
  /** Messages each service's consumer applied during the step (its inbox), per second of its busy span. */
  consumers: Record<"order" | "inventory", { messages: number; perSec: number; msPerMessage: number }>;
  harness: { latenessP99Ms: number; eventLoopDelayP99Ms: number; finalTimeFromNotify: number };
  sustained: boolean;
  verdict: string[];
  /** The overload step's own figures (kind "overload" only). */
  overload?: OverloadFigures;
}

export interface Breakdown {
  /** Scheduled send → the order service starts its transaction (client and server queues, HTTP, auth). */
  toOrderPlaced: number;
  /** → OrderRequested handed to Kafka: commit 1 and the order service's outbox relay. */
  toOrderPublished: number;
  /** → the inventory starts on it: hop 1 and the inventory's consumer queue. */
  toInventory: number;
  /** → the last line's answer handed to Kafka: reservation, commit 2, the inventory's outbox relay. */
  toAnswerPublished: number;
  /** → the order service starts on that answer: hop 2 and its consumer queue (earlier answers included). */
  toLastAnswer: number;
  /** → final status committed: the decision transaction, commit 3. */
  toFinal: number;
  /** Between the order service starting on the first and on the last line answer. */
  answersSpread: number;
  sampled: number;
}

interface OrderRow {
  id: string;
  status: string;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

async function ordersById(databases: Databases, ids: readonly string[]): Promise<Map<string, OrderRow>> {
  const rows = new Map<string, OrderRow>();
  for (let i = 0; i < ids.length; i += 5_000) {
    const { rows: chunk } = await databases.order.query<OrderRow>(
      `select id::text as id, status::text as status, reason, created_at, updated_at
         from orders where id = any($1::uuid[])`,
      [ids.slice(i, i + 5_000)],
    );
    for (const row of chunk) rows.set(row.id, row);
  }
  return rows;
}

function median(values: number[]): number {
  return summarize(values).p50;
}

/** The inventory's answers: one per order, or one per line from an inventory that answers so. */
const ANSWER_TYPES = new Set(["StockRequestAnswered", "StockReserved", "StockRejected"]);

/**
 * Where the time of a sample of orders went: the order's timeline, the inventory's inbox and the
 * Kafka records' timestamps, all written by the system anyway.
 */
async function breakdown(
  ctx: StepContext,
  finished: readonly { attempt: Attempt; row: OrderRow; finalAt: number }[],
  offsets: { from: Map<string, TopicOffsets>; to: Map<string, TopicOffsets> },
): Promise<Breakdown | undefined> {
  const decided = finished.filter((f) => !(f.row.status === "REJECTED" && f.row.reason === "TIMEOUT"));
  const sample =
    decided.length <= 2_000 ? [...decided] : decided.filter(() => ctx.random() < 2_000 / decided.length);
  if (sample.length === 0) return undefined;
  const { rows: timeline } = await ctx.databases.order.query<{
    order_id: string;
    event_type: string;
    direction: string;
    event_id: string;
    recorded_at: Date;
  }>(
    `select order_id::text as order_id, event_type, direction::text as direction, event_id::text as event_id, recorded_at
       from order_timeline where order_id = any($1::uuid[])`,
    [sample.map((s) => s.row.id)],
  );
  const byOrder = new Map<string, typeof timeline>();
  for (const entry of timeline) {
    const list = byOrder.get(entry.order_id) ?? [];
    list.push(entry);
    byOrder.set(entry.order_id, list);
  }
  const requestedIds = timeline
    .filter((e) => e.event_type === "OrderRequested" && e.direction === "EMITTED")
    .map((e) => e.event_id);
  const { rows: inbox } = await ctx.databases.inventory.query<{ event_id: string; processed_at: Date }>(
    "select event_id::text as event_id, processed_at from inbox where event_id = any($1::uuid[])",
    [requestedIds],
  );
  const inventoryStarted = new Map(inbox.map((r) => [r.event_id, r.processed_at.getTime()]));
  const published = new Map<string, number>();
  for (const topic of offsets.to.keys()) {
    const times = await publishTimes(
      ctx.kafka,
      topic,
      offsets.from.get(topic) ?? new Map(),
      offsets.to.get(topic) ?? new Map(),
    );
    for (const [id, at] of times) published.set(id, at);
  }
  const segments: Record<Exclude<keyof Breakdown, "sampled">, number[]> = {
    toOrderPlaced: [],
    toOrderPublished: [],
    toInventory: [],
    toAnswerPublished: [],
    toLastAnswer: [],
    toFinal: [],
    answersSpread: [],
  };
  for (const { attempt, row, finalAt } of sample) {
    const entries = byOrder.get(row.id) ?? [];
    const requested = entries.find((e) => e.event_type === "OrderRequested" && e.direction === "EMITTED");
    const answers = entries
      .filter(
        (e) =>
          e.direction === "RECEIVED" && ANSWER_TYPES.has(e.event_type) && e.recorded_at.getTime() <= finalAt,
      )
      .sort((a, b) => a.recorded_at.getTime() - b.recorded_at.getTime());
    const first = answers[0];
    const last = answers.at(-1);
    const inventoryAt = requested ? inventoryStarted.get(requested.event_id) : undefined;
    const requestedPublishedAt = requested ? published.get(requested.event_id) : undefined;
    const answerPublishedAt = last ? published.get(last.event_id) : undefined;
    if (
      !first ||
      !last ||
      inventoryAt === undefined ||
      requestedPublishedAt === undefined ||
      answerPublishedAt === undefined
    ) {
      continue;
    }
    const placedAt = row.created_at.getTime();
    const lastAt = last.recorded_at.getTime();
    segments.toOrderPlaced.push(placedAt - attempt.scheduledAt);
    segments.toOrderPublished.push(requestedPublishedAt - placedAt);
    segments.toInventory.push(inventoryAt - requestedPublishedAt);
    segments.toAnswerPublished.push(answerPublishedAt - inventoryAt);
    segments.toLastAnswer.push(lastAt - answerPublishedAt);
    segments.toFinal.push(finalAt - lastAt);
    segments.answersSpread.push(lastAt - first.recorded_at.getTime());
  }
  return {
    toOrderPlaced: median(segments.toOrderPlaced),
    toOrderPublished: median(segments.toOrderPublished),
    toInventory: median(segments.toInventory),
    toAnswerPublished: median(segments.toAnswerPublished),
    toLastAnswer: median(segments.toLastAnswer),
    toFinal: median(segments.toFinal),
    answersSpread: median(segments.answersSpread),
    sampled: segments.toFinal.length,
  };
}

/**
 * Messages a service's consumer applied since `since` (its inbox), and how fast over the span from
 * the first to the last: its capacity when it was backlogged, the arrival rate otherwise.
 */
async function consumerPace(pool: Databases["order"], since: number) {
  const { rows } = await pool.query<{ n: string; first: Date | null; last: Date | null }>(
    "select count(*)::text as n, min(processed_at) as first, max(processed_at) as last from inbox where processed_at >= $1",
    [new Date(since)],
  );
  const messages = Number(rows[0]?.n ?? 0);
  const spanS =
    rows[0]?.first && rows[0]?.last ? (rows[0].last.getTime() - rows[0].first.getTime()) / 1000 : 0;
  return {
    messages,
    perSec: spanS > 0 ? round(messages / spanS, 1) : 0,
    msPerMessage: messages > 0 && spanS > 0 ? round((spanS * 1000) / messages, 2) : 0,
  };
}

/**
 * Waits (at most `drainCapS`) until a backlog sample taken after the call finds nothing in flight,
 * pending, unpublished or unconsumed.
 */
async function settle(
  ctx: StepContext,
  samples: readonly BacklogSample[],
  clock: () => number,
  inflight: () => number,
): Promise<{ settled: boolean; seconds: number }> {
  const from = clock();
  const count = samples.length;
  while (clock() - from < ctx.drainCapS * 1000) {
    const last = samples.at(-1);
    // A sample already under way when this began may predate it: wait for the one after.
    if (inflight() === 0 && last && samples.length > count + 1 && backlogOf(last) === 0) {
      return { settled: true, seconds: round((clock() - from) / 1000, 1) };
    }
    await sleep(100);
  }
  return { settled: false, seconds: round((clock() - from) / 1000, 1) };
}

/**
 * One arrival rate: open-loop orders for the planned time (or until clearly overloaded), then
 * waiting until the saga has drained, then reading when each order reached its final status.
 */
export async function runStep(ctx: StepContext, plan: StepPlan): Promise<StepResult> {
  const clock = wallClock();
  const attempts: Attempt[] = [];
  let inflight = 0;
  const samples: BacklogSample[] = [];
  /** Orders answered 202 and no longer PENDING, per sample: how fast the saga completes orders. */
  const completedSoFar: { t: number; completed: number }[] = [];
  const orderIds: string[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const t0 = clock();
  let stepSince = new Date(t0);
  let sampling = true;
  const sampler = (async () => {
    while (sampling && !ctx.interrupted?.()) {
      const at = clock();
      try {
        const acceptedBefore = orderIds.length;
        const sample = await ctx.probe.sample((at - t0) / 1000, inflight, stepSince);
        samples.push(sample);
        completedSoFar.push({ t: sample.t, completed: Math.max(0, acceptedBefore - sample.pendingOfStep) });
      } catch (error) {
        ctx.log(`backlog sample failed: ${String(error)}`);
      }
      await sleep(Math.max(0, 1_000 - (clock() - at)));
    }
  })();

  // Earlier steps may have left work behind (an overloaded one drains slowly): wait for it first.
  const leftBehind = await settle(ctx, samples, clock, () => 0);
  const backlogAtStart = samples.at(-1) ? backlogOf(samples.at(-1) as BacklogSample) : 0;
  stepSince = new Date(clock());
  let cutReason = "";
  const sagaTopics = [topicName("order-events"), topicName("reservation-events")];
  const offsetsBefore = new Map<string, TopicOffsets>();
  for (const topic of sagaTopics) offsetsBefore.set(topic, await endOffsets(ctx.admin, topic));
  const workAtStart = await ctx.work.snapshot();
  const cpuAtStart = procSnapshot();
  const cpuFrom = clock();
  const window = await arrivals({
    ratePerSec: plan.ratePerSec,
    durationMs: plan.durationS * 1000,
    clock,
    shouldStop: () => {
      const last = samples.at(-1);
      const inSystem = inflight + (last?.pendingOfStep ?? 0);
      if (inSystem / plan.ratePerSec > ctx.cutOffSeconds) {
        cutReason = `over ${ctx.cutOffSeconds} s of arrivals in the system`;
        return true;
      }
      // Past the first seconds, stop once the orders in the system would take too long to drain
      // at the rate the saga has been completing them: the rest of the run would wait on them.
      const latest = completedSoFar.at(-1);
      const earlier = completedSoFar.findLast((c) => latest !== undefined && c.t <= latest.t - 3);
      if (!latest || !earlier || latest.t - (stepSince.getTime() - t0) / 1000 < ctx.graceSeconds)
        return false;
      const completionRate = (latest.completed - earlier.completed) / (latest.t - earlier.t);
      const drainRate = Math.max(0.5, completionRate, ctx.knownCapacity);
      const drainSeconds = inSystem / drainRate;
      if (drainSeconds <= ctx.maxProjectedDrainS) return false;
      cutReason = `${inSystem} orders in the system would take ~${Math.round(drainSeconds)} s to drain at ${drainRate.toFixed(1)}/s`;
      return true;
    },
    fire: (index, scheduledAt) => {
      const attempt: Attempt = { scheduledAt, sentAt: clock() };
      attempts.push(attempt);
      inflight++;
      const body = JSON.stringify(ctx.catalogue.order(ctx.random));
      const token = ctx.tokens[index % ctx.tokens.length] ?? "";
      ctx.order
        .send("POST", "/orders", { authorization: `Bearer ${token}` }, body)
        .then(
          (reply) => {
            attempt.answeredAt = clock();
            attempt.httpStatus = reply.status;
            const retryAfter = reply.headers["retry-after"];
            const contentType = reply.headers["content-type"];
            if (typeof retryAfter === "string") attempt.retryAfter = retryAfter;
            if (typeof contentType === "string") attempt.contentType = contentType;
            if (reply.status === 202) {
              const orderId = (JSON.parse(reply.body) as { orderId?: string }).orderId;
              if (orderId) {
                attempt.orderId = orderId;
                orderIds.push(orderId);
              }
            }
          },
          (error: unknown) => {
            attempt.answeredAt = clock();
            attempt.error = error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => {
          inflight--;
        });
    },
  });
  const cpuTo = clock();
  const cpu = cpuBudget(cpuAtStart, procSnapshot(), ctx.cpuGroups, clockTicksPerSecond());
  const evaluatedFrom = window.startedAt + 0.2 * (window.endedAt - window.startedAt);

  // Drain: every request answered, nothing pending, published or unconsumed anywhere.
  const drain = await settle(ctx, samples, clock, () => inflight);
  const drained = drain.settled;
  const drainS = drain.seconds;
  const workAtEnd = await ctx.work.snapshot();
  sampling = false;
  await sampler;
  loopDelay.disable();

  const consumers = {
    order: await consumerPace(ctx.databases.order, t0),
    inventory: await consumerPace(ctx.databases.inventory, t0),
  };
  const offsetsAfter = new Map<string, TopicOffsets>();
  for (const topic of sagaTopics) offsetsAfter.set(topic, await endOffsets(ctx.admin, topic));
  const rows = await ordersById(ctx.databases, orderIds);
  const measuredAt = clock();
  const outcomes: Record<string, number> = {};
  const saga: number[] = [];
  const decision: number[] = [];
  const http: number[] = [];
  const failedPosts: Record<string, number> = {};
  const finished: { attempt: Attempt; row: OrderRow; finalAt: number }[] = [];
  let unfinished = 0;
  let decided = 0;
  let lastDecision = 0;
  let fromNotify = 0;
  let finalInCpuWindow = 0;
  for (const attempt of attempts) {
    if (attempt.answeredAt !== undefined && attempt.httpStatus === 202)
      http.push(attempt.answeredAt - attempt.scheduledAt);
    if (isRefusal(attempt)) continue;
    if (!attempt.orderId) {
      const key = attempt.error ?? `HTTP ${attempt.httpStatus ?? "?"}`;
      failedPosts[key] = (failedPosts[key] ?? 0) + 1;
      continue;
    }
    const row = rows.get(attempt.orderId);
    const status = row?.status ?? "MISSING";
    const outcome = status === "REJECTED" && row?.reason === "TIMEOUT" ? "REJECTED_TIMEOUT" : status;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (!row || !(FINAL_STATUSES as readonly string[]).includes(row.status)) {
      unfinished++;
      saga.push(measuredAt - attempt.scheduledAt);
      continue;
    }
    const updatedAt = row.updated_at.getTime();
    const notifiedAt = ctx.commits.changedAt(row.id);
    // The notification arrives after the commit; updated_at (ms) is taken just before the decision.
    const finalAt = notifiedAt !== undefined && notifiedAt >= updatedAt - 1 ? notifiedAt : updatedAt;
    if (finalAt === notifiedAt) fromNotify++;
    saga.push(finalAt - attempt.scheduledAt);
    decision.push(updatedAt - attempt.scheduledAt);
    finished.push({ attempt, row, finalAt });
    if (finalAt >= cpuFrom && finalAt <= cpuTo) finalInCpuWindow++;
    if (outcome !== "REJECTED_TIMEOUT" && finalAt >= evaluatedFrom) {
      decided++;
      lastDecision = Math.max(lastDecision, finalAt);
    }
  }
  ctx.commits.forget(orderIds);
  // Decisions per second from 20 % into the window to the step's last decision: the arrival rate
  // when the saga keeps up, its capacity when it does not (timeouts are not decisions).
  const achievedPerSec =
    decided / Math.max(1, (Math.max(lastDecision, window.endedAt) - evaluatedFrom) / 1000);
  ctx.knownCapacity = Math.max(ctx.knownCapacity, achievedPerSec);

  // Sample times count from the sampler's start, which precedes the arrivals by the wait for earlier work.
  const arrivalsAt = (window.startedAt - t0) / 1000;
  const windowS = (window.endedAt - window.startedAt) / 1000;
  const skipS = (evaluatedFrom - window.startedAt) / 1000;
  const inWindow = samples
    .map((s) => ({ ...s, t: s.t - arrivalsAt }))
    .filter((s) => s.t >= skipS && s.t <= windowS);
  const trend = (value: (s: BacklogSample) => number) =>
    slope(inWindow.map((s) => ({ x: s.t, y: value(s) }))) * Math.max(0, windowS - skipS);
  const growth = trend(backlogOf);
  const threshold = Math.max(50, plan.ratePerSec);
  const growing = growth > threshold;
  const windowSamples = samples.filter((s) => s.t >= arrivalsAt - 1 && s.t - arrivalsAt <= windowS);

  const postFailures = Object.values(failedPosts).reduce((a, b) => a + b, 0);
  const verdict: string[] = [];
  if (window.cutShort) verdict.push(`cut short after ${windowS.toFixed(1)} s: ${cutReason}`);
  if (growing) verdict.push(`backlog grew by ${Math.round(growth)} (> ${threshold}) over the window`);
  if (achievedPerSec < 0.9 * plan.ratePerSec)
    verdict.push(`achieved ${achievedPerSec.toFixed(0)}/s < 90 % of ${plan.ratePerSec}/s`);
  if (postFailures > 0.01 * attempts.length) verdict.push(`${postFailures} POSTs failed`);
  const refusedPosts = refusalsOf(attempts);
  if (refusedPosts.count > 0.01 * attempts.length)
    verdict.push(`${refusedPosts.count} POSTs refused (${JSON.stringify(refusedPosts.byStatus)})`);
  if ((outcomes.REJECTED_TIMEOUT ?? 0) > 0) verdict.push(`${outcomes.REJECTED_TIMEOUT} orders timed out`);
  if (unfinished > 0) verdict.push(`${unfinished} orders unfinished after draining`);
  if (!leftBehind.settled) verdict.push(`started with ${backlogAtStart} items left by earlier steps`);

  const sagaLatencyMs = summarize(saga);
  const maxOf = (values: number[]) => round(Math.max(0, ...values.filter(Number.isFinite)), 1);
  const lateness = summarize(window.lateness);
  return {
    kind: plan.kind,
    offeredPerSec: plan.ratePerSec,
    plannedS: plan.durationS,
    durationS: round(windowS, 2),
    cutShort: window.cutShort,
    ordersSent: attempts.length,
    accepted: orderIds.length,
    refusedPosts,
    failedPosts,
    achievedPerSec: round(achievedPerSec, 1),
    sagaLatencyMs,
    ratioP50ToFloor:
      ctx.criticalPathP50Ms && Number.isFinite(sagaLatencyMs.p50)
        ? round(sagaLatencyMs.p50 / ctx.criticalPathP50Ms, 2)
        : null,
    decisionLatencyMs: summarize(decision),
    httpLatencyMs: summarize(http),
    outcomes,
    unfinished,
    breakdownP50Ms: await breakdown(ctx, finished, { from: offsetsBefore, to: offsetsAfter }),
    backlog: {
      start: windowSamples[0] ? backlogOf(windowSamples[0]) : 0,
      end: windowSamples.at(-1) ? backlogOf(windowSamples.at(-1) as BacklogSample) : 0,
      peak: Math.max(0, ...windowSamples.map(backlogOf)),
      growth: Math.round(growth),
      threshold,
      growing,
      components: {
        inflight: Math.round(trend((s) => s.inflight)),
        pendingOrders: Math.round(trend((s) => s.pendingOrders)),
        outboxOrder: Math.round(trend((s) => s.outboxRows.order)),
        outboxInventory: Math.round(trend((s) => s.outboxRows.inventory)),
        lagOrderService: Math.round(trend((s) => s.consumerLag.order)),
        lagInventoryService: Math.round(trend((s) => s.consumerLag.inventory)),
      },
    },
    backlogAtStart,
    waitedS: leftBehind.seconds,
    drained,
    drainS: round(drainS, 1),
    rssMb: {
      order: maxOf(samples.map((s) => s.rssMb.order)),
      inventory: maxOf(samples.map((s) => s.rssMb.inventory)),
    },
    cpu,
    cpuMsPerOrder: cpuPerOrder(cpu, finalInCpuWindow),
    workPerOrder: workPerOrder(workAtStart, workAtEnd, orderIds.length),
    consumers,
    harness: {
      latenessP99Ms: round(lateness.p99, 1),
      eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 1),
      finalTimeFromNotify: fromNotify,
    },
    sustained: verdict.length === 0,
    verdict,
  };
}
