import type { ProcessSample, ProcSnapshot } from "./procfs.js";
import { round } from "./stats.js";

/** Processes the harness can name; everything else the machine ran is `kernelAndOther`. */
export const PROCESS_GROUPS = ["order", "inventory", "postgres", "kafka", "registry", "harness"] as const;
export type ProcessGroup = (typeof PROCESS_GROUPS)[number];
export type BudgetLine = ProcessGroup | "kernelAndOther" | "steal";

/** How processes are told apart (see the README, "CPU budget"). */
export interface GroupRules {
  /** Each service's pid: the process and all its descendants. */
  services: { order: number; inventory: number };
  /** The harness's own pid (not its descendants: the services are its children). */
  harness: number;
  /** `-Dstocksaga.stack=<stack dir>/kafka`: the argument the stack puts on its broker's java command line. */
  kafkaMarker: string;
  /** `-Dstocksaga.stack=<stack dir>/registry`. */
  registryMarker: string;
}

export interface LineCpu {
  /** CPU over the window as a share of one core, %. */
  pctOfCore: number;
  /** CPU time over the window, ms. */
  cpuMs: number;
}

export interface CpuBudget {
  windowS: number;
  byGroup: Record<BudgetLine, LineCpu & { processes?: number }>;
  /** Busy share of all cores (user, nice, system, irq, softirq; steal not included), %. */
  machineBusyPct: number;
  /** Share of all cores the hypervisor gave to others, %. */
  stealPct: number;
  /** The PostgreSQL group split by what its processes serve: a database, `server` (its own workers) or `exited` (backends that ended in the window). */
  postgresByDatabase: Record<string, number>;
  /** The busiest processes outside every group (other work on a shared machine shows here), % of a core. */
  topOther: { pid: number; command: string; pctOfCore: number }[];
}

const POSTGRES_COMMANDS = new Set(["postgres", "postmaster"]);

function hasArgument(cmdline: string, argument: string): boolean {
  return ` ${cmdline} `.includes(` ${argument} `);
}

/** The group of every process of a snapshot that belongs to one (by pid). */
export function classify(processes: readonly ProcessSample[], rules: GroupRules): Map<number, ProcessGroup> {
  const parent = new Map(processes.map((p) => [p.pid, p.ppid]));
  const serviceOf = (pid: number): ProcessGroup | undefined => {
    for (let at: number | undefined = pid, depth = 0; at !== undefined && at > 0 && depth < 64; depth++) {
      if (at === rules.services.order) return "order";
      if (at === rules.services.inventory) return "inventory";
      if (at === rules.harness) return undefined;
      at = parent.get(at);
    }
    return undefined;
  };
  const groups = new Map<number, ProcessGroup>();
  for (const p of processes) {
    const group: ProcessGroup | undefined =
      p.pid === rules.harness
        ? "harness"
        : (serviceOf(p.pid) ??
          (POSTGRES_COMMANDS.has(p.comm)
            ? "postgres"
            : hasArgument(p.cmdline, rules.kafkaMarker)
              ? "kafka"
              : hasArgument(p.cmdline, rules.registryMarker)
                ? "registry"
                : undefined));
    if (group) groups.set(p.pid, group);
  }
  return groups;
}

/**
 * What a PostgreSQL process serves, from the title it sets (`postgres: [cluster: ]user database
 * host(port) activity`); the server's own workers and the postmaster are `server`.
 */
export function postgresRole(p: Pick<ProcessSample, "cmdline">): string {
  const title = p.cmdline.startsWith("postgres: ") ? p.cmdline.slice("postgres: ".length) : "";
  const words = title.split(" ").filter((w) => w !== "");
  if (words[0]?.endsWith(":")) words.shift();
  const host = words[2] ?? "";
  return words.length >= 3 && (/\(\d+\)$/.test(host) || host === "[local]")
    ? (words[1] ?? "server")
    : "server";
}

const key = (p: ProcessSample) => `${p.pid}:${p.startTicks}`;

/**
 * The CPU of each group between two snapshots. A process's own time counts from the first
 * snapshot (or from its start, when it started in between); the time of children it reaped in
 * between counts for its group too, less what those children had already used at the first
 * snapshot (so a PostgreSQL backend that ends mid-window still counts, for the postmaster).
 * `kernelAndOther` is the machine's busy time left over: kernel threads, interrupts, and every
 * process outside the groups.
 */
export function cpuBudget(
  before: ProcSnapshot,
  after: ProcSnapshot,
  rules: GroupRules,
  ticksPerSecond: number,
): CpuBudget {
  const windowS = (after.at - before.at) / 1000;
  const groups = classify(after.processes, rules);
  const earlier = new Map(before.processes.map((p) => [key(p), p]));
  const living = new Map(after.processes.map((p) => [key(p), p]));
  const byPid = new Map(after.processes.map((p) => [p.pid, p]));

  const ticks = new Map<ProcessGroup, number>(PROCESS_GROUPS.map((g) => [g, 0]));
  const counts = new Map<ProcessGroup, number>(PROCESS_GROUPS.map((g) => [g, 0]));
  const postgres = new Map<string, number>();
  const others: { pid: number; command: string; ticks: number }[] = [];
  const addPostgres = (role: string, value: number) => postgres.set(role, (postgres.get(role) ?? 0) + value);

  for (const p of after.processes) {
    const was = earlier.get(key(p));
    const own = p.selfTicks - (was?.selfTicks ?? 0);
    const reaped = p.childrenTicks - (was?.childrenTicks ?? 0);
    const group = groups.get(p.pid);
    if (!group) {
      others.push({ pid: p.pid, command: p.comm, ticks: own + reaped });
      continue;
    }
    ticks.set(group, (ticks.get(group) ?? 0) + own + reaped);
    counts.set(group, (counts.get(group) ?? 0) + 1);
    if (group === "postgres") {
      addPostgres(postgresRole(p), own);
      addPostgres("exited", reaped);
    }
  }
  // A child reaped in the window brought its whole life into its parent's children time.
  for (const gone of before.processes) {
    if (living.has(key(gone))) continue;
    const parent = byPid.get(gone.ppid);
    const group = parent ? groups.get(parent.pid) : undefined;
    if (!parent || !group || !earlier.has(key(parent))) continue;
    const already = gone.selfTicks + gone.childrenTicks;
    ticks.set(group, (ticks.get(group) ?? 0) - already);
    if (group === "postgres") addPostgres("exited", -already);
  }

  const toLine = (t: number): LineCpu => ({
    pctOfCore: windowS > 0 ? round((t / ticksPerSecond / windowS) * 100, 1) : Number.NaN,
    cpuMs: round((t / ticksPerSecond) * 1000, 0),
  });
  const busy = after.machine.busy - before.machine.busy;
  const steal = after.machine.steal - before.machine.steal;
  const total = after.machine.total - before.machine.total;
  const grouped = [...ticks.values()].reduce((a, b) => a + b, 0);
  const byGroup = Object.fromEntries(
    PROCESS_GROUPS.map((g) => [g, { ...toLine(ticks.get(g) ?? 0), processes: counts.get(g) ?? 0 }]),
  ) as CpuBudget["byGroup"];
  // Process and machine times are sampled separately: a few ticks of disagreement are not work.
  byGroup.kernelAndOther = toLine(Math.max(0, busy - grouped));
  byGroup.steal = toLine(steal);
  return {
    windowS: round(windowS, 2),
    byGroup,
    machineBusyPct: total > 0 ? round((busy / total) * 100, 1) : Number.NaN,
    stealPct: total > 0 ? round((steal / total) * 100, 1) : Number.NaN,
    postgresByDatabase: Object.fromEntries(
      [...postgres]
        .filter(([, t]) => t > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([role, t]) => [role, toLine(t).pctOfCore]),
    ),
    topOther: others
      .filter((o) => o.ticks > 0)
      .sort((a, b) => b.ticks - a.ticks)
      .slice(0, 5)
      .map((o) => ({ pid: o.pid, command: o.command, pctOfCore: toLine(o.ticks).pctOfCore })),
  };
}

export interface CpuPerOrder {
  /** Orders that reached a final status inside the window: the divisor. */
  orders: number;
  /** The machine's busy time (every process and the kernel; not steal) per order, ms. */
  total: number | null;
  byGroup: Record<BudgetLine, number | null>;
}

/** CPU ms per order: each line's CPU time in the window over the orders completed in it. */
export function cpuPerOrder(budget: CpuBudget, orders: number): CpuPerOrder {
  const per = (ms: number) => (orders > 0 ? round(ms / orders, 2) : null);
  const lines = Object.entries(budget.byGroup) as [BudgetLine, LineCpu][];
  const busyMs = lines.filter(([line]) => line !== "steal").reduce((sum, [, l]) => sum + l.cpuMs, 0);
  return {
    orders,
    total: per(busyMs),
    byGroup: Object.fromEntries(lines.map(([line, l]) => [line, per(l.cpuMs)])) as Record<
      BudgetLine,
      number | null
    >,
  };
}

const SHORT: Record<BudgetLine, string> = {
  order: "order",
  inventory: "inventory",
  postgres: "postgres",
  kafka: "kafka",
  registry: "registry",
  harness: "harness",
  kernelAndOther: "kernel+other",
  steal: "steal",
};

/** One line: CPU ms per order by group, then the same as % of a core. */
export function describeCpu(budget: CpuBudget, perOrder: CpuPerOrder): string {
  const lines = Object.keys(SHORT) as BudgetLine[];
  const ms = lines.map((l) => `${SHORT[l]} ${perOrder.byGroup[l] ?? "n/a"}`).join(", ");
  const pct = lines.map((l) => `${SHORT[l]} ${budget.byGroup[l].pctOfCore}`).join(", ");
  return (
    `CPU ms/order ${perOrder.total ?? "n/a"} over ${perOrder.orders} orders (${ms}); ` +
    `% of a core: ${pct}; machine ${budget.machineBusyPct} % busy, steal ${budget.stealPct} % (${budget.windowS} s)`
  );
}
