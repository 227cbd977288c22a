// Statistics of a run: count/avg/stddev/min/max/sum, percentiles, and the bucketed distribution
// fortio prints (bucket edges in milliseconds, as fortio's default 1 ms resolution gives).

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly avg: number;
  readonly stdDev: number;
}

export interface Bucket {
  readonly start: number;
  readonly end: number;
  /** Cumulative percentage of values up to the end of this bucket. */
  readonly percent: number;
  readonly count: number;
}

const BUCKET_EDGES_MS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 200,
  300, 400, 500, 600, 700, 800, 900, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000,
  60000, 70000, 80000, 90000, 100000,
];

export function summarize(values: ArrayLike<number>): Summary {
  const count = values.length;
  if (count === 0) return { count: 0, min: 0, max: 0, sum: 0, avg: 0, stdDev: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const avg = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (values[i]! - avg) ** 2;
  return { count, min, max, sum, avg, stdDev: Math.sqrt(squares / count) };
}

/** The p-th percentile (0 < p ≤ 100) of ascending values, interpolating between neighbours. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** The ascending values grouped into fortio's buckets; the first starts at the minimum, the last ends at the maximum. */
export function buckets(sorted: ArrayLike<number>): Bucket[] {
  const n = sorted.length;
  const out: Bucket[] = [];
  if (n === 0) return out;
  let i = 0;
  let edge = 0;
  while (i < n) {
    while (edge < BUCKET_EDGES_MS.length && sorted[i]! >= BUCKET_EDGES_MS[edge]!) edge++;
    const start = out.length === 0 ? sorted[0]! : edge === 0 ? 0 : BUCKET_EDGES_MS[edge - 1]!;
    const end = edge < BUCKET_EDGES_MS.length ? BUCKET_EDGES_MS[edge]! : Infinity;
    let count = 0;
    while (i < n && sorted[i]! < end) {
      count++;
      i++;
    }
    out.push({ start, end: i >= n ? sorted[n - 1]! : end, percent: (100 * i) / n, count });
  }
  return out;
}
