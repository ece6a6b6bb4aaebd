import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One process as /proc shows it at one moment; CPU times in clock ticks. */
export interface ProcessSample {
  pid: number;
  ppid: number;
  /** `comm`: the executable's name (15 characters at most), unaffected by a process rewriting its title. */
  comm: string;
  /** Arguments joined by spaces; PostgreSQL backends show their database here. */
  cmdline: string;
  /** Ticks since boot when the process started: with the pid, what tells a recycled pid apart. */
  startTicks: number;
  /** utime + stime of every thread of the process, living or exited. */
  selfTicks: number;
  /** cutime + cstime: what the children it reaped used (so a backend that exits lands on the postmaster). */
  childrenTicks: number;
}

/** The first line of /proc/stat, in ticks summed over every CPU. */
export interface MachineTicks {
  /** user + nice + system + irq + softirq: time some CPU ran code of this machine. */
  busy: number;
  /** Time the hypervisor gave this machine's CPUs to someone else. */
  steal: number;
  /** busy + idle + iowait + steal. */
  total: number;
}

export interface ProcSnapshot {
  /** performance.now() when the snapshot was taken, ms. */
  at: number;
  machine: MachineTicks;
  processes: ProcessSample[];
}

/**
 * Parses /proc/<pid>/stat. The command name may hold spaces and parentheses, so fields are
 * counted after its last closing parenthesis (proc(5): field 4 is ppid, 14-17 utime, stime,
 * cutime, cstime, 22 starttime).
 */
export function parseProcessStat(text: string): Omit<ProcessSample, "cmdline"> | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const fields = text
    .slice(close + 2)
    .trim()
    .split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  const sample = {
    pid,
    ppid: field(4),
    comm: text.slice(open + 1, close),
    startTicks: field(22),
    selfTicks: field(14) + field(15),
    childrenTicks: field(16) + field(17),
  };
  return [sample.pid, sample.ppid, sample.startTicks, sample.selfTicks, sample.childrenTicks].every(
    Number.isFinite,
  )
    ? sample
    : undefined;
}

/** Parses the aggregate `cpu` line of /proc/stat (proc(5); guest time is already inside user and nice). */
export function parseMachineStat(text: string): MachineTicks {
  const line = text.split("\n").find((l) => l.startsWith("cpu ")) ?? "";
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    // The process exited between listing and reading.
    return undefined;
  }
}

/** Every process under `procRoot` (the real /proc, or a recorded copy in tests). */
export function readProcesses(procRoot = "/proc"): ProcessSample[] {
  const processes: ProcessSample[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrUndefined(join(procRoot, entry, "stat"));
    const parsed = stat === undefined ? undefined : parseProcessStat(stat);
    if (!parsed) continue;
    const cmdline = (readOrUndefined(join(procRoot, entry, "cmdline")) ?? "").replaceAll("\0", " ").trim();
    processes.push({ ...parsed, cmdline });
  }
  return processes;
}

export function procSnapshot(procRoot = "/proc", now: () => number = () => performance.now()): ProcSnapshot {
  const at = now();
  return {
    at,
    machine: parseMachineStat(readFileSync(join(procRoot, "stat"), "utf8")),
    processes: readProcesses(procRoot),
  };
}

let ticksPerSecond: number | undefined;

/** USER_HZ (`getconf CLK_TCK`): 100 on every Linux seen so far, asked once anyway. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}
