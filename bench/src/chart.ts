export interface ChartPoint {
  offeredPerSec: number;
  /** Search probes are drawn hollow: a longer window than the fixed steps. */
  probe?: boolean;
  sustained?: boolean;
  achievedPerSec: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  points: readonly ChartPoint[];
  floorMs?: number;
  goals?: readonly { label: string; ms: number }[];
}

const WIDTH = 760;
const HEIGHT = 480;
const MARGIN = { left: 70, right: 150, top: 64, bottom: 64 };

const SERIES = [
  { key: "p50", label: "p50", color: "#1f77b4" },
  { key: "p95", label: "p95", color: "#ff7f0e" },
  { key: "p99", label: "p99", color: "#d62728" },
] as const;

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** 1, 2, 5 × 10^k between lo and hi. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(lo)); exp <= Math.ceil(Math.log10(hi)); exp++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** exp;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

function label(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return String(Number(value.toPrecision(3)));
}

/** Saga latency percentiles against arrival rate, log-log, as a standalone SVG document. */
export function latencyChart(input: ChartInput): string {
  const points = input.points
    .filter((p) => [p.p50, p.p95, p.p99].every((v) => Number.isFinite(v) && v > 0))
    .sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const rates = points.map((p) => p.offeredPerSec);
  const values = points.flatMap((p) => [p.p50, p.p95, p.p99]);
  const references = [input.floorMs, ...(input.goals ?? []).map((g) => g.ms)].filter(
    (v): v is number => v !== undefined && Number.isFinite(v) && v > 0,
  );
  const xLo = (Math.min(...rates, 50) || 50) / 1.5;
  const xHi = Math.max(...rates, 1000) * 1.5;
  const yLo = Math.min(...values, ...references, 10) / 2;
  const yHi = Math.max(...values, ...references, 100) * 2;
  const x = (v: number) => MARGIN.left + ((Math.log10(v) - Math.log10(xLo)) / Math.log10(xHi / xLo)) * plotW;
  const y = (v: number) =>
    MARGIN.top + plotH - ((Math.log10(v) - Math.log10(yLo)) / Math.log10(yHi / yLo)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(`${input.title}: ${input.subtitle}`)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">${escapeXml(input.title)}</text>`,
    `<text x="${MARGIN.left}" y="44" fill="#555">${escapeXml(input.subtitle)}</text>`,
  );
  for (const tick of logTicks(yLo, yHi)) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="#555">${label(tick)}</text>`,
    );
  }
  for (const tick of logTicks(xLo, xHi)) {
    out.push(
      `<line y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" stroke="#eee"/>`,
      `<text y="${MARGIN.top + plotH + 18}" x="${x(tick).toFixed(1)}" text-anchor="middle" fill="#555">${label(tick)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 16}" text-anchor="middle">offered orders/s (log)</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">saga latency, ms (log)</text>`,
  );
  const reference = (ms: number, text: string, color: string, dash: string) => {
    const yy = y(ms).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="${color}" stroke-dasharray="${dash}"/>`,
      `<text x="${MARGIN.left + plotW + 6}" y="${(y(ms) + 4).toFixed(1)}" fill="${color}">${escapeXml(text)}</text>`,
    );
  };
  if (input.floorMs !== undefined && input.floorMs > 0)
    reference(input.floorMs, `floor ${input.floorMs.toFixed(1)} ms`, "#2ca02c", "6 4");
  for (const goal of input.goals ?? []) reference(goal.ms, goal.label, "#7f7f7f", "2 3");

  for (const series of SERIES) {
    const path = points
      .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.offeredPerSec).toFixed(1)},${y(p[series.key]).toFixed(1)}`)
      .join(" ");
    if (path) out.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const p of points) {
      out.push(
        `<circle cx="${x(p.offeredPerSec).toFixed(1)}" cy="${y(p[series.key]).toFixed(1)}" r="3.5" ${p.probe ? `fill="#ffffff" stroke="${series.color}" stroke-width="1.5"` : `fill="${series.color}"`}><title>${series.label} ${p[series.key]} ms at ${p.offeredPerSec}/s offered</title></circle>`,
      );
    }
  }
  for (const p of points) {
    out.push(
      `<text x="${x(p.offeredPerSec).toFixed(1)}" y="${(y(p.p50) + 18).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${Math.round(p.achievedPerSec)}/s done${p.sustained === undefined ? "" : p.sustained ? ", held" : ""}</text>`,
    );
  }
  SERIES.forEach((series, i) => {
    const ly = MARGIN.top + 12 + i * 18;
    const lx = MARGIN.left + plotW + 10;
    out.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`,
      `<text x="${lx + 26}" y="${ly + 4}">${series.label}</text>`,
    );
  });
  if (points.some((p) => p.probe)) {
    const lx = MARGIN.left + plotW + 10;
    const ly = MARGIN.top + 12 + SERIES.length * 18;
    out.push(
      `<circle cx="${lx + 10}" cy="${ly}" r="3.5" fill="#ffffff" stroke="#555" stroke-width="1.5"/>`,
      `<text x="${lx + 26}" y="${ly + 4}">search probe</text>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
