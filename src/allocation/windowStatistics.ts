// Per-period mean and sample variance of a strategy's most recent returns, read O(1) from StrategyPerformance when the windows agree.
import type { StrategyPerformance } from '../performance/strategyPerformance.js';

/** Count, per-period mean and per-period sample variance (ddof 1; NaN below two returns; exactly 0 for constant returns). */
export interface WindowStatistics {
  readonly count: number;
  readonly mean: number;
  readonly variance: number;
}

/** Statistics of the last `lookback` returns of `perf` (all of its window when `lookback` is undefined or covers it). */
export function windowStatistics(perf: StrategyPerformance, lookback?: number): WindowStatistics {
  if (lookback === undefined || lookback >= perf.count) {
    return { count: perf.count, mean: perf.periodMean, variance: perf.periodVariance };
  }
  const all = perf.returns;
  const tail = all.subarray(all.length - lookback);
  return statisticsOf(tail);
}

/** Two-pass mean and sample variance of `xs`; an all-equal series has variance exactly 0. */
export function statisticsOf(xs: Float64Array): WindowStatistics {
  const n = xs.length;
  if (n === 0) return { count: 0, mean: Number.NaN, variance: Number.NaN };
  let sum = 0;
  let allEqual = true;
  const first = xs[0] as number;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    sum += x;
    if (x !== first) allEqual = false;
  }
  const mean = allEqual ? first : sum / n;
  if (n < 2) return { count: n, mean, variance: Number.NaN };
  if (allEqual) return { count: n, mean, variance: 0 };
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = (xs[i] as number) - mean;
    m2 += d * d;
  }
  return { count: n, mean, variance: m2 / (n - 1) };
}
