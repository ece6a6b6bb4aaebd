import { Counter, type Registry } from "prom-client";

/** What one pool has sent, in plain integers: a statement costs an increment, the registry reads them when scraped. */
export interface DatabaseTally {
  /** One statement sent (`query` on the pool or on a client it handed out); its text or config. */
  statement(query: unknown): void;
}

interface Counts {
  statements: number;
  commits: number;
  rollbacks: number;
}

const TRANSACTION_END = /^\s*(commit|end|rollback|abort)\s*;?\s*$/i;
/** Longer statements cannot be a bare COMMIT or ROLLBACK: they are not even looked at. */
const LONGEST_TRANSACTION_END = 24;

const talliesByRegistry = new WeakMap<Registry, Map<string, Counts>>();

/**
 * The counters of the database budget, on `registry`, for the pool named `pool` (a service may
 * have several; each is a `pool` label value):
 *
 * - `stocksaga_db_statements_total{pool}`: statements sent to PostgreSQL — every `query`, on the
 *   pool or on a client it handed out, `begin` and `commit` included; each is one round trip.
 * - `stocksaga_db_transactions_total{pool, outcome}`: explicit transactions ended, `outcome`
 *   `commit` or `rollback`. A statement sent outside `begin` is a transaction of its own on the
 *   server and is counted as a statement only.
 *
 * Counting is an integer increment per statement; the counters read the tallies when scraped.
 */
export function databaseMetrics(registry: Registry, pool: string): DatabaseTally {
  let tallies = talliesByRegistry.get(registry);
  if (!tallies) {
    const byPool = new Map<string, Counts>();
    tallies = byPool;
    talliesByRegistry.set(registry, byPool);
    new Counter({
      name: "stocksaga_db_statements_total",
      help: "Statements sent to PostgreSQL (one round trip each), by pool.",
      labelNames: ["pool"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, counts] of byPool) this.inc({ pool: name }, counts.statements);
      },
    });
    new Counter({
      name: "stocksaga_db_transactions_total",
      help: "Explicit transactions ended, by pool and outcome (commit, rollback).",
      labelNames: ["pool", "outcome"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, counts] of byPool) {
          this.inc({ pool: name, outcome: "commit" }, counts.commits);
          this.inc({ pool: name, outcome: "rollback" }, counts.rollbacks);
        }
      },
    });
  }
  let counts = tallies.get(pool);
  if (!counts) {
    counts = { statements: 0, commits: 0, rollbacks: 0 };
    tallies.set(pool, counts);
  }
  const into = counts;
  return {
    statement(query) {
      into.statements++;
      const text = typeof query === "string" ? query : (query as { text?: unknown } | undefined)?.text;
      if (typeof text !== "string" || text.length > LONGEST_TRANSACTION_END) return;
      const end = TRANSACTION_END.exec(text)?.[1]?.toLowerCase();
      if (end === "commit" || end === "end") into.commits++;
      else if (end === "rollback" || end === "abort") into.rollbacks++;
    },
  };
}
