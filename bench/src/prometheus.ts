/** One sample of the Prometheus text exposition format (version 0.0.4). */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: MetricSample[];
  /** Metric families a `# TYPE` line declares: a declared counter without samples yet is 0, not absent. */
  declared: Set<string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number | undefined {
  // prom-client writes NaN as "Nan".
  const word = text.toLowerCase();
  if (word === "nan") return Number.NaN;
  if (word === "+inf" || word === "inf") return Number.POSITIVE_INFINITY;
  if (word === "-inf") return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return text === "" || Number.isNaN(value) ? undefined : value;
}

/** Label pairs from just after `{`; returns the labels and the index after `}`, or undefined when malformed. */
function parseLabels(
  line: string,
  from: number,
): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = from;
  for (;;) {
    while (line[i] === " " || line[i] === ",") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) return undefined;
    i += name.length;
    while (line[i] === " ") i++;
    if (line[i] !== "=") return undefined;
    i++;
    while (line[i] === " ") i++;
    if (line[i] !== '"') return undefined;
    i++;
    let value = "";
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === "\\") {
        const next = line[i + 1];
        value += next === "n" ? "\n" : (next ?? "");
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
  }
}

/** Parses what a `/metrics` endpoint answers; lines it cannot read are skipped. */
export function parsePrometheusText(text: string): Exposition {
  const samples: MetricSample[] = [];
  const declared = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s/.exec(line);
      if (type?.[1]) declared.add(type[1]);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let rest = name.length;
    while (line[rest] === " ") rest++;
    let labels: Record<string, string> = {};
    if (line[rest] === "{") {
      const parsed = parseLabels(line, rest + 1);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.end;
    }
    // The value, then an optional timestamp.
    const value = parseValue(line.slice(rest).trim().split(/\s+/)[0] ?? "");
    if (value === undefined) continue;
    samples.push({ name, labels, value });
  }
  return { samples, declared };
}

/**
 * The sum of every series of `name` whose labels include `where`; undefined when the exposition
 * neither declares nor shows the metric (a service that does not count it), 0 when it is
 * declared but has no matching series yet.
 */
export function counterValue(
  exposition: Exposition,
  name: string,
  where: Readonly<Record<string, string>> = {},
): number | undefined {
  const series = exposition.samples.filter((s) => s.name === name);
  const isDeclared =
    exposition.declared.has(name) || (name.endsWith("_total") && exposition.declared.has(name.slice(0, -6)));
  if (series.length === 0 && !isDeclared) return undefined;
  return series
    .filter((s) => Object.entries(where).every(([label, value]) => s.labels[label] === value))
    .reduce((sum, s) => sum + s.value, 0);
}

/** GET `<baseUrl>/metrics`; undefined when the service does not answer it with 200. */
export async function scrapeMetrics(baseUrl: string, timeoutMs = 3_000): Promise<Exposition | undefined> {
  try {
    const response = await fetch(new URL("/metrics", baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return parsePrometheusText(await response.text());
  } catch {
    return undefined;
  }
}
