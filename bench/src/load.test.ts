import { describe, expect, it } from "vitest";
import { arrivals } from "./load.js";

describe("open-loop arrivals", () => {
  it("schedules evenly whatever the sends do, and stamps each with its scheduled time", async () => {
    const clock = () => performance.now();
    const scheduled: number[] = [];
    const window = await arrivals({
      ratePerSec: 200,
      durationMs: 250,
      clock,
      fire: (index, at) => {
        scheduled[index] = at;
        // A send that blocks the loop does not lower the rate: the next ones go out late but on schedule.
        if (index === 10) {
          const until = performance.now() + 40;
          while (performance.now() < until) {}
        }
      },
    });
    expect(window.scheduled).toBe(50);
    expect(window.cutShort).toBe(false);
    for (let i = 1; i < scheduled.length; i++)
      expect((scheduled[i] ?? 0) - (scheduled[i - 1] ?? 0)).toBeCloseTo(5);
    expect(Math.max(...window.lateness)).toBeGreaterThan(30);
  });

  it("stops early when told to", async () => {
    let sent = 0;
    const window = await arrivals({
      ratePerSec: 1_000,
      durationMs: 10_000,
      clock: () => performance.now(),
      fire: () => {
        sent++;
      },
      shouldStop: () => sent >= 100,
    });
    expect(window.cutShort).toBe(true);
    expect(window.scheduled).toBeLessThan(200);
  });
});
