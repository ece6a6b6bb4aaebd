import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  classify,
  cpuBudget,
  cpuPerOrder,
  describeCpu,
  type GroupRules,
  postgresRole,
} from "./cpu-budget.js";
import { fakeProc, removeFakeProcs } from "./fake-proc.js";
import { type ProcessSample, type ProcSnapshot, procSnapshot } from "./procfs.js";

afterAll(removeFakeProcs);

interface Recorded {
  recorder: number;
  before: { at: number; stat: string; processes: Record<string, { stat: string; cmdline: string }> };
  after: Recorded["before"];
}

const recorded = JSON.parse(
  readFileSync(new URL("./fixtures/proc-recorded.json", import.meta.url), "utf8"),
) as Recorded;

const stack = "/work/wt-messaging/.stack";
const recordedRules: GroupRules = {
  services: { order: 900_001, inventory: 900_002 },
  harness: recorded.recorder,
  kafkaMarker: `-Dstocksaga.stack=${stack}/kafka`,
  registryMarker: `-Dstocksaga.stack=${stack}/registry`,
};

function snapshotOf(side: Recorded["before"]): ProcSnapshot {
  return procSnapshot(fakeProc(side.stat, side.processes), () => side.at);
}

describe("the CPU budget on a recorded pair of /proc snapshots", () => {
  const budget = cpuBudget(snapshotOf(recorded.before), snapshotOf(recorded.after), recordedRules, 100);

  it("charges the recorder its own time and that of the psql it ran", () => {
    // utime+stime 8 -> 49 ticks, reaped children 0 -> 4 ticks.
    expect(budget.byGroup.harness.cpuMs).toBe(450);
  });

  it("charges PostgreSQL the in-window part of backends that ended, through the postmaster", () => {
    // The postmaster's reaped time grew by 71 ticks; 30 of them the ended backend had used before the window.
    expect(budget.byGroup.postgres.cpuMs).toBe(410);
    expect(budget.byGroup.postgres.processes).toBe(7);
    expect(budget.postgresByDatabase).toEqual({ exited: budget.byGroup.postgres.pctOfCore });
  });

  it("finds the broker and the registry of the stack by their marker", () => {
    expect(budget.byGroup.kafka).toMatchObject({ cpuMs: 20, processes: 1 });
    expect(budget.byGroup.registry).toMatchObject({ cpuMs: 10, processes: 1 });
    expect(budget.byGroup.order).toMatchObject({ cpuMs: 0, processes: 0 });
  });

  it("reads machine busy and steal from /proc/stat, and leaves kernel and other at 0 when the groups cover it", () => {
    // busy 88 ticks of 265 over 1.33 s on 2 cores; the groups sum to 89 (ticks are sampled apart).
    expect(budget.machineBusyPct).toBe(33.2);
    expect(budget.stealPct).toBe(0);
    expect(budget.byGroup.kernelAndOther.cpuMs).toBe(0);
    expect(budget.windowS).toBeCloseTo(1.33, 1);
    expect(budget.byGroup.harness.pctOfCore).toBeCloseTo((0.45 / budget.windowS) * 100, 0);
  });

  it("does not take another stack's broker for this one's", () => {
    const other = cpuBudget(
      snapshotOf(recorded.before),
      snapshotOf(recorded.after),
      {
        ...recordedRules,
        kafkaMarker: "-Dstocksaga.stack=/work/wt-bench/.stack/kafka",
      },
      100,
    );
    expect(other.byGroup.kafka.processes).toBe(0);
    expect(other.topOther.map((o) => o.command)).toContain("java");
  });
});

const proc = (p: Partial<ProcessSample> & Pick<ProcessSample, "pid">): ProcessSample => ({
  ppid: 1,
  comm: "x",
  cmdline: "",
  startTicks: 1_000,
  selfTicks: 0,
  childrenTicks: 0,
  ...p,
});

const rules: GroupRules = {
  services: { order: 100, inventory: 200 },
  harness: 50,
  kafkaMarker: "-Dstocksaga.stack=/s/kafka",
  registryMarker: "-Dstocksaga.stack=/s/registry",
};

describe("grouping processes", () => {
  it("puts a service's descendants with it, and the harness alone (the services are its children)", () => {
    const groups = classify(
      [
        proc({ pid: 50, comm: "node" }),
        proc({ pid: 100, ppid: 50, comm: "node" }),
        proc({ pid: 101, ppid: 100, comm: "sh" }),
        proc({ pid: 102, ppid: 101, comm: "esbuild" }),
        proc({ pid: 200, ppid: 50, comm: "node" }),
        proc({ pid: 60, ppid: 50, comm: "turbo" }),
        proc({ pid: 70, comm: "postmaster" }),
        proc({ pid: 71, ppid: 70, comm: "postgres", cmdline: "postgres: walwriter" }),
        proc({ pid: 80, comm: "java", cmdline: "java -Xmx1g -Dstocksaga.stack=/s/kafka -cp x kafka.Kafka" }),
        proc({ pid: 81, comm: "java", cmdline: "java -Dstocksaga.stack=/s/kafka2 kafka.Kafka" }),
        proc({ pid: 90, comm: "java", cmdline: "java -Dstocksaga.stack=/s/registry -jar q.jar" }),
      ],
      rules,
    );
    expect(Object.fromEntries(groups)).toEqual({
      50: "harness",
      100: "order",
      101: "order",
      102: "order",
      200: "inventory",
      70: "postgres",
      71: "postgres",
      80: "kafka",
      90: "registry",
    });
  });

  it("names the database a PostgreSQL backend serves from its title", () => {
    expect(
      postgresRole({ cmdline: "postgres: 15/main: postgres stocksaga_order 127.0.0.1(53854) idle" }),
    ).toBe("stocksaga_order");
    expect(postgresRole({ cmdline: "postgres: app stocksaga_inventory [local] COMMIT" })).toBe(
      "stocksaga_inventory",
    );
    expect(postgresRole({ cmdline: "postgres: 15/main: checkpointer" })).toBe("server");
    expect(postgresRole({ cmdline: "postgres: 15/main: logical replication launcher" })).toBe("server");
    expect(
      postgresRole({ cmdline: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main" }),
    ).toBe("server");
  });
});

describe("the CPU budget between two snapshots", () => {
  const machine = (busy: number, steal: number, total: number) => ({ busy, steal, total });
  const before: ProcSnapshot = {
    at: 0,
    machine: machine(1_000, 10, 5_000),
    processes: [
      proc({ pid: 50, selfTicks: 100 }),
      proc({ pid: 100, ppid: 50, selfTicks: 1_000, childrenTicks: 5 }),
      proc({ pid: 101, ppid: 100, selfTicks: 40, comm: "worker" }),
      proc({ pid: 200, ppid: 50, selfTicks: 700 }),
      proc({ pid: 70, comm: "postgres", childrenTicks: 500 }),
      proc({
        pid: 71,
        ppid: 70,
        comm: "postgres",
        selfTicks: 300,
        cmdline: "postgres: u db_a 127.0.0.1(1) idle",
      }),
      proc({
        pid: 72,
        ppid: 70,
        comm: "postgres",
        selfTicks: 20,
        cmdline: "postgres: u db_b 127.0.0.1(2) idle",
      }),
      proc({ pid: 300, comm: "kdamond", selfTicks: 3 }),
      // A pid the kernel will hand to another process before the second snapshot.
      proc({ pid: 400, comm: "old", selfTicks: 900, startTicks: 10 }),
    ],
  };
  const after: ProcSnapshot = {
    at: 10_000,
    machine: machine(1_000 + 1_500, 10 + 40, 5_000 + 2_000),
    processes: [
      proc({ pid: 50, selfTicks: 150 }),
      // The service's worker ended and was reaped: 40 ticks before the window, 25 in it.
      proc({ pid: 100, ppid: 50, selfTicks: 1_300, childrenTicks: 5 + 65 }),
      proc({ pid: 200, ppid: 50, selfTicks: 900 }),
      // Backend 72 ended (20 ticks before the window, 30 in it); 73 started and ended in the window (12).
      proc({ pid: 70, comm: "postgres", childrenTicks: 500 + 50 + 12 }),
      proc({
        pid: 71,
        ppid: 70,
        comm: "postgres",
        selfTicks: 400,
        cmdline: "postgres: u db_a 127.0.0.1(1) idle",
      }),
      // Started in the window: all its time is the window's.
      proc({
        pid: 74,
        ppid: 70,
        comm: "postgres",
        selfTicks: 8,
        startTicks: 5_000,
        cmdline: "postgres: u db_a 127.0.0.1(3) idle",
      }),
      proc({
        pid: 80,
        comm: "java",
        selfTicks: 4_000,
        startTicks: 90,
        cmdline: "java -Dstocksaga.stack=/s/kafka kafka.Kafka",
      }),
      proc({ pid: 300, comm: "kdamond", selfTicks: 63 }),
      proc({ pid: 400, comm: "new", selfTicks: 7, startTicks: 6_000 }),
    ],
  };
  // The broker was already running at the first snapshot.
  before.processes.push(
    proc({
      pid: 80,
      comm: "java",
      selfTicks: 3_800,
      startTicks: 90,
      cmdline: "java -Dstocksaga.stack=/s/kafka kafka.Kafka",
    }),
  );
  const budget = cpuBudget(before, after, rules, 100);

  it("gives each group its time in the window, ended and new processes included", () => {
    const ms = Object.fromEntries(Object.entries(budget.byGroup).map(([g, l]) => [g, l.cpuMs]));
    expect(ms).toEqual({
      harness: 500,
      order: 3_000 + 250,
      inventory: 2_000,
      postgres: 1_000 + 80 + 300 + 120,
      kafka: 2_000,
      registry: 0,
      // 1,500 busy ticks less the 925 of the groups.
      kernelAndOther: 5_750,
      steal: 400,
    });
    expect(budget.byGroup.order.pctOfCore).toBe(32.5);
    expect(budget.machineBusyPct).toBe(75);
    expect(budget.stealPct).toBe(2);
  });

  it("splits PostgreSQL by database, its own workers and the backends that ended", () => {
    expect(budget.postgresByDatabase).toEqual({ db_a: 10.8, exited: 4.2 });
  });

  it("lists the busiest processes outside the groups, a recycled pid as a new process", () => {
    expect(budget.topOther).toEqual([
      { pid: 300, command: "kdamond", pctOfCore: 6 },
      { pid: 400, command: "new", pctOfCore: 0.7 },
    ]);
  });

  it("divides each line's CPU by the orders completed in the window", () => {
    const perOrder = cpuPerOrder(budget, 500);
    // Busy time, steal left out: 15,000 ms over 500 orders.
    expect(perOrder.total).toBe(30);
    expect(perOrder.byGroup.order).toBe(6.5);
    expect(perOrder.byGroup.steal).toBe(0.8);
    expect(cpuPerOrder(budget, 0)).toMatchObject({ orders: 0, total: null, byGroup: { order: null } });
    expect(describeCpu(budget, perOrder)).toContain(
      "CPU ms/order 30 over 500 orders (order 6.5, inventory 4,",
    );
  });
});
