import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Wall-clock milliseconds with sub-millisecond resolution. Anchored to Date.now() when created,
 * so that a step's scheduled times compare with timestamps the services and PostgreSQL write
 * (same machine, same wall clock), without drifting over a long run.
 */
export function wallClock(): () => number {
  const anchor = Date.now() - performance.now();
  return () => anchor + performance.now();
}

export interface Attempt {
  /** When the open-loop schedule said this request goes out: latency is measured from here. */
  scheduledAt: number;
  sentAt: number;
  answeredAt?: number;
  httpStatus?: number;
  /** The `Retry-After` header of a refusal, as sent. */
  retryAfter?: string;
  /** The answer's media type (`application/problem+json` for a refusal done right). */
  contentType?: string;
  orderId?: string;
  error?: string;
}

export interface Reply {
  status: number;
  body: string;
  /** Response headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

/** Keep-alive HTTP/1.1 to one service; requests beyond `maxSockets` wait in the agent's queue. */
export class HttpTarget {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(baseUrl: string, maxSockets = 256) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, scheduling: "fifo" });
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
    timeoutMs = 60_000,
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers: {
            ...headers,
            ...(body !== undefined
              ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              headers: res.headers,
            }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface ArrivalOptions {
  ratePerSec: number;
  durationMs: number;
  clock: () => number;
  /** Sends request number `index`, scheduled at `scheduledAt`; must not throw. */
  fire: (index: number, scheduledAt: number) => void;
  /** Polled between sends: true ends the arrivals early (the step is clearly overloaded). */
  shouldStop?: () => boolean;
}

export interface ArrivalWindow {
  startedAt: number;
  endedAt: number;
  scheduled: number;
  cutShort: boolean;
  /** How late the harness itself sent requests (actual minus scheduled), ms: p99 and max. */
  lateness: number[];
}

/**
 * Open loop: request i is due at start + i / rate whatever happened to earlier ones. A timer
 * wakes the loop; everything due by then goes out at once, stamped with its scheduled time, so a
 * stalled service (or a stalled harness) shows up as latency instead of silently lowering the rate.
 */
export async function arrivals(options: ArrivalOptions): Promise<ArrivalWindow> {
  const intervalMs = 1000 / options.ratePerSec;
  const startedAt = options.clock() + 5;
  const endAt = startedAt + options.durationMs;
  const lateness: number[] = [];
  let index = 0;
  let cutShort = false;
  for (;;) {
    const due = startedAt + index * intervalMs;
    if (due >= endAt) break;
    const now = options.clock();
    if (due > now) {
      await sleep(Math.max(1, Math.floor(due - now)));
      continue;
    }
    if (index % 64 === 0 && options.shouldStop?.()) {
      cutShort = true;
      break;
    }
    lateness.push(now - due);
    options.fire(index, due);
    index++;
  }
  const endedAt = cutShort ? options.clock() : endAt;
  return { startedAt, endedAt, scheduled: index, cutShort, lateness };
}
