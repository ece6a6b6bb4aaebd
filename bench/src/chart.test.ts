import { describe, expect, it } from "vitest";
import { latencyChart, logTicks } from "./chart.js";

describe("the latency chart", () => {
  it("puts 1-2-5 ticks on log axes", () => {
    expect(logTicks(3, 600)).toEqual([5, 10, 20, 50, 100, 200, 500]);
  });

  it("draws one line per percentile, the floor and the goals, as standalone SVG", () => {
    const svg = latencyChart({
      title: "t <&>",
      subtitle: "s",
      points: [
        { offeredPerSec: 50, achievedPerSec: 50, p50: 20, p95: 40, p99: 60 },
        { offeredPerSec: 200, achievedPerSec: 199, p50: 30, p95: 80, p99: 120 },
        { offeredPerSec: 500, achievedPerSec: 300, p50: 5_000, p95: 9_000, p99: 9_900 },
      ],
      floorMs: 8,
      goals: [{ label: "p50 goal 25 ms", ms: 25 }],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("t &lt;&amp;&gt;");
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(9);
    expect(svg).toContain("floor 8.0 ms");
    expect(svg).toContain("p50 goal 25 ms");
    expect(svg).not.toContain("NaN");
  });

  it("leaves out points without figures", () => {
    const svg = latencyChart({
      title: "t",
      subtitle: "s",
      points: [{ offeredPerSec: 50, achievedPerSec: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN }],
    });
    expect(svg).not.toContain("NaN");
    expect(svg).not.toContain("<circle");
  });
});
