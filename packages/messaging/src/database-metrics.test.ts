import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { databaseMetrics } from "./database-metrics.js";

async function sample(registry: Registry, name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("database metrics", () => {
  it("counts every statement, and explicit transactions by how they ended", async () => {
    const registry = new Registry();
    const main = databaseMetrics(registry, "main");
    for (const query of [
      "begin",
      "insert into outbox (event_id) values ($1)",
      { text: "COMMIT" },
      "begin",
      "select 1",
      "rollback",
      "  commit;  ",
      "end",
      "rollback to savepoint before_apply",
      "select * from orders where status = 'commit'",
    ])
      main.statement(query);

    expect(await sample(registry, "stocksaga_db_statements_total", 'pool="main"')).toBe(10);
    expect(await sample(registry, "stocksaga_db_transactions_total", 'pool="main",outcome="commit"')).toBe(3);
    expect(await sample(registry, "stocksaga_db_transactions_total", 'pool="main",outcome="rollback"')).toBe(
      1,
    );
  });

  it("keeps the pools of one registry apart, and adds up what two tallies of one pool count", async () => {
    const registry = new Registry();
    databaseMetrics(registry, "http").statement("select 1");
    databaseMetrics(registry, "relay").statement("select 1");
    databaseMetrics(registry, "relay").statement("commit");

    expect(await sample(registry, "stocksaga_db_statements_total", 'pool="http"')).toBe(1);
    expect(await sample(registry, "stocksaga_db_statements_total", 'pool="relay"')).toBe(2);
    expect(await sample(registry, "stocksaga_db_transactions_total", 'pool="relay",outcome="commit"')).toBe(
      1,
    );
    // Another registry (another service in the same process, a test) starts from zero.
    const other = new Registry();
    databaseMetrics(other, "http");
    expect(await sample(other, "stocksaga_db_statements_total", 'pool="http"')).toBe(0);
  });
});
