export type Fulfilment = "PARTIAL" | "ALL_OR_NOTHING";

export interface OrderRequest {
  items: { sku: string; quantity: number }[];
  fulfilment: Fulfilment;
}

export interface WorkloadShape {
  skuCount: number;
  /** Zipf exponent: the k-th most popular SKU is asked for with weight 1 / k^s. */
  zipfExponent: number;
  maxLines: number;
  maxQuantity: number;
  /** Share of orders that accept nothing less than every unit. */
  allOrNothingShare: number;
}

export const DEFAULT_WORKLOAD: WorkloadShape = {
  skuCount: 200,
  zipfExponent: 1,
  maxLines: 5,
  maxQuantity: 3,
  allOrNothingShare: 0.1,
};

/** mulberry32: small, fast and seedable, so a run's orders can be reproduced. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Probability of each rank (0 = most popular) under a Zipf law over `n` items. */
export function zipfWeights(n: number, exponent: number): number[] {
  const raw = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** exponent);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

export class Catalogue {
  readonly skus: readonly string[];
  readonly weights: readonly number[];
  private readonly cumulative: number[];

  constructor(
    prefix: string,
    readonly shape: WorkloadShape,
  ) {
    this.skus = Array.from(
      { length: shape.skuCount },
      (_, k) => `${prefix}-${String(k + 1).padStart(4, "0")}`,
    );
    this.weights = zipfWeights(shape.skuCount, shape.zipfExponent);
    let sum = 0;
    this.cumulative = this.weights.map((w) => {
      sum += w;
      return sum;
    });
  }

  /** Index of a SKU drawn by popularity. */
  draw(random: () => number): number {
    const u = random() * (this.cumulative.at(-1) ?? 1);
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** 1 to maxLines lines of distinct SKUs, 1 to maxQuantity units each. */
  order(random: () => number): OrderRequest {
    const lineCount = 1 + Math.floor(random() * this.shape.maxLines);
    const chosen = new Set<number>();
    while (chosen.size < lineCount) chosen.add(this.draw(random));
    return {
      items: [...chosen].map((k) => ({
        sku: this.skus[k] ?? "",
        quantity: 1 + Math.floor(random() * this.shape.maxQuantity),
      })),
      fulfilment: random() < this.shape.allOrNothingShare ? "ALL_OR_NOTHING" : "PARTIAL",
    };
  }

  /**
   * Stock per SKU so that `plannedOrders` orders mostly confirm: the expected demand of each SKU
   * (drawing with replacement over-estimates the hot ones a little) times `margin`, plus a few,
   * and never more than `cap` (what the inventory accepts for one product).
   */
  stockFor(plannedOrders: number, margin: number, cap = Number.POSITIVE_INFINITY): number[] {
    const meanLines = (1 + this.shape.maxLines) / 2;
    const meanQuantity = (1 + this.shape.maxQuantity) / 2;
    return this.weights.map((w) =>
      Math.min(cap, Math.ceil(plannedOrders * meanLines * meanQuantity * w * margin) + 10),
    );
  }
}
