import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceName } from "@stocksaga/deploy/stack";
import { issueToken } from "@stocksaga/platform";
import type { Fleet, Instance } from "./fleet.js";
import type { Random } from "./random.js";

export interface RequestFigures {
  requests: number;
  /** The instance died while it had the request: no answer, so the client sent it again. */
  retriedAfterInstanceDied: number;
  /** The connection was refused (the instance was down): sent to the other instance. */
  rerouted: number;
  /** 5xx answers, sent again (only requests that are safe to repeat). */
  retriedAfterServerError: number;
  /** No answer within the client's timeout: sent again (only requests that are safe to repeat). */
  retriedAfterTimeout: number;
  /** A request that is not safe to repeat got no answer: its outcome is unknown to the client. */
  ambiguous: number;
  /** Requests that found no instance of their service up and waited for one. */
  waitedForAnInstance: number;
}

export interface Answer<T> {
  status: number;
  body: T;
  instance: string;
  attempts: number;
}

export type Unanswered = { status: "unanswered"; reason: string };

const REQUEST_TIMEOUT_MS = 30_000;
/** A client gives up on a request after this long; the harness reports it. */
const GIVE_UP_AFTER_MS = 180_000;

function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : "UNKNOWN";
}

/**
 * A REST client for both services that routes each request to a random instance that is up. A
 * request that loses its instance is sent again — to the other instance — with the same headers
 * (so the same `Idempotency-Key`), as a real client would; a request that is not safe to repeat
 * is reported as ambiguous instead.
 */
export class FleetClient {
  readonly figures: RequestFigures = {
    requests: 0,
    retriedAfterInstanceDied: 0,
    rerouted: 0,
    retriedAfterServerError: 0,
    retriedAfterTimeout: 0,
    ambiguous: 0,
    waitedForAnInstance: 0,
  };
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly fleet: Fleet,
    private readonly secret: string,
    private readonly random: Random,
  ) {}

  private token(subject: string, admin: boolean): Promise<string> {
    const key = `${subject}\n${admin}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = issueToken(this.secret, { sub: subject, roles: admin ? ["admin"] : [], ttlSeconds: 6 * 3600 });
      this.tokens.set(key, token);
    }
    return token;
  }

  private async instanceOf(service: ServiceName, avoid: Instance | undefined): Promise<Instance> {
    let waited = false;
    for (;;) {
      const up = this.fleet.of(service).filter((instance) => instance.state === "up");
      const preferred = up.filter((instance) => instance !== avoid);
      const choice = preferred.length > 0 ? this.random.pick(preferred) : up[0];
      if (choice) return choice;
      if (!waited) this.figures.waitedForAnInstance++;
      waited = true;
      await sleep(100);
    }
  }

  async request<T>(
    service: ServiceName,
    method: "GET" | "POST",
    path: string,
    options: {
      as: string;
      admin?: boolean;
      body?: unknown;
      headers?: Record<string, string>;
      repeatable: boolean;
    },
  ): Promise<Answer<T> | Unanswered> {
    this.figures.requests++;
    const headers = {
      authorization: `Bearer ${await this.token(options.as, options.admin ?? false)}`,
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    };
    const deadline = Date.now() + GIVE_UP_AFTER_MS;
    let last: Instance | undefined;
    for (let attempt = 1; ; attempt++) {
      const instance = await this.instanceOf(service, last);
      last = instance;
      let retryReason: string;
      try {
        const response = await fetch(`${instance.url}${path}`, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        if (response.status < 500) {
          return {
            status: response.status,
            body: (text ? JSON.parse(text) : undefined) as T,
            instance: instance.name,
            attempts: attempt,
          };
        }
        if (!options.repeatable) {
          this.figures.ambiguous++;
          return { status: "unanswered", reason: `${response.status} from ${instance.name}` };
        }
        this.figures.retriedAfterServerError++;
        retryReason = `${response.status}`;
      } catch (error) {
        const code = networkCode(error);
        if (code === "ECONNREFUSED") {
          // Nothing was sent: always safe to send elsewhere.
          this.figures.rerouted++;
          retryReason = code;
        } else if (!options.repeatable) {
          this.figures.ambiguous++;
          return { status: "unanswered", reason: `${code} from ${instance.name}` };
        } else if (code === "TimeoutError" || code === "ABORT_ERR") {
          this.figures.retriedAfterTimeout++;
          retryReason = code;
        } else {
          this.figures.retriedAfterInstanceDied++;
          retryReason = code;
        }
      }
      if (Date.now() > deadline) {
        return { status: "unanswered", reason: `gave up after ${attempt} attempts (last: ${retryReason})` };
      }
      await sleep(Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)));
    }
  }
}
