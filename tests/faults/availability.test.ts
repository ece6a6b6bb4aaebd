import { describe, expect, it } from "vitest";
import { gapsBetween, STALL_WINDOW_MS, stallsByFault } from "./availability.js";
import type { FaultRecord } from "./faults.js";

const fault = (kind: FaultRecord["kind"], at: number, durationMs = 0): FaultRecord => ({
  kind,
  detail: "",
  at,
  durationMs,
});

describe("stalls of the fault harness", () => {
  it("measures the gaps between moments of progress, the load's edges included", () => {
    expect(gapsBetween([1_500, 1_200, 4_000], 1_000, 5_000)).toEqual([
      [1_000, 1_200],
      [1_200, 1_500],
      [1_500, 4_000],
      [4_000, 5_000],
    ]);
  });

  it("lays each gap at the fault injected last before it began, within that fault's window", () => {
    // Progress every second, but nothing from 20 s to 27 s (a SIGKILL at 19.5 s) and from 60 s to
    // 63 s (a broker restart from 58 s lasting 1 s).
    const progress = Array.from({ length: 100 }, (_, i) => i * 1_000).filter(
      (at) => !(at > 20_000 && at < 27_000) && !(at > 60_000 && at < 63_000),
    );
    const { longestStallMs, byFault } = stallsByFault(
      progress,
      [fault("sigkill", 19_500), fault("sigkill", 40_000), fault("broker-restart", 58_000, 1_000)],
      { from: 0, until: 99_000 },
    );
    expect(longestStallMs).toBe(7_000);
    expect(byFault.sigkill).toEqual({ faults: 2, longestStallMs: 7_000 });
    expect(byFault["broker-restart"]).toEqual({ faults: 1, longestStallMs: 3_000 });
  });

  it("does not lay a stall at a fault whose window ended before it began", () => {
    const progress = [0, 1_000, 2_000, 30_000, 31_000];
    const { byFault } = stallsByFault(progress, [fault("poison", 500)], { from: 0, until: 31_000 });
    // The gap 2 s → 30 s begins inside the poison's window (0.5 s + 15 s), so it counts…
    expect(byFault.poison?.longestStallMs).toBe(28_000);
    const later = stallsByFault([0, 1_000, 2_000, 30_000, 31_000, 32_000], [fault("poison", 30_500)], {
      from: 0,
      until: 32_000,
    });
    // …while a fault injected after it sees only the short gaps around it.
    expect(later.byFault.poison?.longestStallMs).toBe(1_000);
    expect(STALL_WINDOW_MS).toBeGreaterThan(0);
  });

  it("never lays one stall at two faults close together", () => {
    // A leader kill at 9 s stalls 9.4 → 16 s; a cluster restart at 28 s stalls 28.2 → 47 s, while
    // the leader kill's window (9 s + 17 s + 15 s) still runs.
    const progress = Array.from({ length: 300 }, (_, i) => i * 200).filter(
      (at) => !(at > 9_500 && at < 16_000) && !(at > 28_200 && at < 47_000),
    );
    const { byFault } = stallsByFault(
      progress,
      [fault("leader-kill", 9_000, 17_000), fault("broker-restart", 28_000, 14_000)],
      { from: 0, until: 60_000 },
    );
    expect(byFault["leader-kill"]).toEqual({ faults: 1, longestStallMs: 6_600 });
    expect(byFault["broker-restart"]).toEqual({ faults: 1, longestStallMs: 18_800 });
  });
});
