import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeProc, removeFakeProcs } from "./fake-proc.js";
import { parseMachineStat, parseProcessStat, procSnapshot, readProcesses } from "./procfs.js";

afterAll(removeFakeProcs);

describe("reading /proc", () => {
  it("reads pid, parent, start and CPU ticks of a process (recorded postmaster)", () => {
    const postmaster =
      "2226 (postgres) S 1 2226 2226 0 -1 4194304 15247 735340 0 32 4 47 3233 1474 20 0 1 0 3276 222445568 7393 18446744073709551615 94123327602688 94123333059033 140735702097968 0 0 0 0 24129536 84487 1 0 0 17 0 0 0 0 0 0 94123335538768 94123335756490 94123845730304 140735702101662 140735702101784 140735702101784 140735702101972 0\n";
    expect(parseProcessStat(postmaster)).toEqual({
      pid: 2226,
      ppid: 1,
      comm: "postgres",
      startTicks: 3276,
      selfTicks: 4 + 47,
      childrenTicks: 3233 + 1474,
    });
  });

  it("counts fields after the last parenthesis, so a command name may hold spaces and parentheses", () => {
    const npm =
      "16648 (npm run test) S 12764 16648 4257 0 -1 4194304 6584 0 0 0 16 3 0 0 20 0 11 0 90154 1253949440 13902 18446744073709551615 11988992 39846385 140729689901600 0 0 0 0 16781312 83458 0 0 0 17 0 0 0 0 0";
    expect(parseProcessStat(npm)).toMatchObject({
      pid: 16648,
      ppid: 12764,
      comm: "npm run test",
      selfTicks: 19,
    });
    const tricky = npm.replace("(npm run test)", "(a) b (c))");
    expect(parseProcessStat(tricky)).toMatchObject({ comm: "a) b (c)", ppid: 12764, startTicks: 90154 });
    expect(parseProcessStat("garbage")).toBeUndefined();
  });

  it("splits the machine's time into busy, steal and total (recorded /proc/stat, with steal)", () => {
    const stat = "cpu  77735 0 20218 116890 475 0 945 341 0 0\ncpu0 38000 0 10000 58000 200 0 400 170 0 0\n";
    expect(parseMachineStat(stat)).toEqual({
      busy: 77735 + 20218 + 945,
      steal: 341,
      total: 77735 + 20218 + 116890 + 475 + 945 + 341,
    });
  });

  it("reads every numbered entry of a /proc directory and turns NULs of the command line into spaces", () => {
    const root = fakeProc("cpu  1 0 1 10 0 0 0 0 0 0\n", {
      "2227": {
        stat: "2227 (postgres) S 2226 2227 2227 0 -1 4194368 2469 0 0 0 20 61 0 0 20 0 1 0 3278 223760384 32032",
        cmdline: `postgres: 15/main: checkpointer ${"\0".repeat(40)}`,
      },
      "42": {
        stat: "42 (java) S 1 42 42 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 99 0 0",
        cmdline: "java\0-Dx=y\0kafka.Kafka\0",
      },
    });
    mkdirSync(join(root, "self"));
    const processes = readProcesses(root).sort((a, b) => a.pid - b.pid);
    expect(processes.map((p) => [p.pid, p.cmdline, p.selfTicks])).toEqual([
      [42, "java -Dx=y kafka.Kafka", 10],
      [2227, "postgres: 15/main: checkpointer", 81],
    ]);
    expect(procSnapshot(root, () => 1_234)).toMatchObject({ at: 1_234, machine: { busy: 2, total: 12 } });
  });
});
