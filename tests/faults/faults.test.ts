import { settings } from "@stocksaga/deploy/stack";
import { describe, expect, inject, it } from "vitest";
import { runFaultHarness, SHORT_RUN } from "./harness.js";
import { formatReport } from "./report.js";

/**
 * The fault harness, short: a few hundred orders under contention on two instances of each
 * service while every fault is injected once — duplicate publishing, SIGKILL of each instance,
 * a broker restart, database connections killed, poison of every kind on every consumed topic.
 * The full run is `npm run test:faults`.
 */
describe("under faults", () => {
  it("every order ends final and agrees with the stock, from the databases and from the events", async () => {
    const started = Date.now();
    const log = (line: string) =>
      console.log(`[faults +${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
    const report = await runFaultHarness(settings, { ...SHORT_RUN, jwtSecret: inject("jwtSecret") }, log);
    console.log(formatReport(report).join("\n"));

    expect(report.violations).toEqual([]);
    expect(report.orders.accepted).toBeGreaterThanOrEqual(SHORT_RUN.orders);
    for (const kind of ["broker-restart", "database-connections-killed", "duplicate publishing on"]) {
      expect(report.faults[kind] ?? 0, kind).toBeGreaterThanOrEqual(
        settings.kafka.external && kind === "broker-restart" ? 0 : 1,
      );
    }
    for (const name of ["order#0", "order#1", "inventory#0", "inventory#1"]) {
      expect(report.faults[`SIGKILL ${name}`] ?? 0, name).toBeGreaterThanOrEqual(1);
    }
    expect(report.poison.length).toBeGreaterThanOrEqual(10);
  }, 175_000);
});
