import { parseArgs } from "node:util";

export interface BenchOptions {
  mode: "full" | "quick";
  build: boolean;
  rates: number[];
  stepSeconds: number;
  search: boolean;
  searchSeconds: number;
  maxProbes: number;
  /** Run the overload step: twice the sustained maximum, to see how the saga refuses the excess. */
  overload: boolean;
  overloadSeconds: number;
  overloadFactor: number;
  warmupSeconds: number;
  drainCapS: number;
  cutOffSeconds: number;
  maxProjectedDrainS: number;
  graceSeconds: number;
  warmupRate: number;
  floorSamples: number;
  customers: number;
  stockMargin: number;
  seed: number;
  /** Write results/latest.{json,svg} (a partial run with --rates writes only the timestamped file). */
  writeLatest: boolean;
}

const USAGE = `usage: npm run bench -- [--quick] [--skip-build] [--rates 100,200] [--step-seconds N]
                        [--no-search] [--search-seconds N] [--probes N] [--no-overload]
                        [--overload-seconds N] [--seed N]`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      "skip-build": { type: "boolean", default: false },
      rates: { type: "string" },
      "step-seconds": { type: "string" },
      "no-search": { type: "boolean", default: false },
      "search-seconds": { type: "string" },
      probes: { type: "string" },
      "no-overload": { type: "boolean", default: false },
      "overload-seconds": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`--${name} must be a positive number\n${USAGE}`);
    return value;
  };
  const quick = values.quick;
  const rates = values.rates
    ? values.rates.split(",").map((r) => number("rates", r.trim(), 0))
    : [100, 200, 500, 1_000, 2_000];
  return {
    mode: quick ? "quick" : "full",
    build: !values["skip-build"],
    rates,
    stepSeconds: number("step-seconds", values["step-seconds"], quick ? 10 : 30),
    search: !values["no-search"],
    searchSeconds: number("search-seconds", values["search-seconds"], quick ? 15 : 60),
    maxProbes: number("probes", values.probes, quick ? 2 : 4),
    overload: !values["no-overload"],
    overloadSeconds: number("overload-seconds", values["overload-seconds"], quick ? 10 : 30),
    overloadFactor: 2,
    warmupSeconds: quick ? 5 : 10,
    warmupRate: 10,
    drainCapS: quick ? 90 : 180,
    cutOffSeconds: quick ? 5 : 10,
    maxProjectedDrainS: quick ? 20 : 45,
    graceSeconds: 3,
    floorSamples: quick ? 100 : 300,
    customers: 100,
    stockMargin: 1.2,
    seed: number("seed", values.seed, 20_260_601),
    writeLatest: values.rates === undefined,
  };
}

/**
 * Upper bound of the run's duration in seconds, from the plan (start-up and floor included): every
 * step at its full window and its full drain cap, which the cut-short rules keep far from.
 */
export function worstCaseSeconds(options: BenchOptions): number {
  const startUp = 180;
  const floor = 60;
  const fixed = options.rates.reduce((sum) => sum + options.stepSeconds + options.drainCapS, 0);
  const search = options.search ? options.maxProbes * (options.searchSeconds + options.drainCapS) : 0;
  const overload = options.overload ? options.overloadSeconds + options.drainCapS : 0;
  return startUp + floor + options.warmupSeconds + options.drainCapS + fixed + search + overload;
}
