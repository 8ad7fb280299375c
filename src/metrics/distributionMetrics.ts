// Shape and tail of a return distribution: skew, excess kurtosis, historical value at risk and expected shortfall (NaN entries skipped).
import { finite } from './seriesBasics.js';

/** Σ(x − mean)^k for k = 2, 3, 4, with the mean. */
function centralSums(xs: readonly number[]): { mean: number; s2: number; s3: number; s4: number } {
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (const x of xs) {
    const d = x - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  return { mean, s2, s3, s4 };
}

/**
 * Skewness, bias-corrected (the adjusted Fisher–Pearson G1, as pandas' `Series.skew` and quantstats give it):
 * G1 = √(n(n−1)) / (n−2) × m3 / m2^1.5 with population moments m_k = Σ(x − mean)^k / n.
 * NaN below three returns; 0 for a constant series (pandas' convention).
 */
export function skew(returns: ArrayLike<number>): number {
  const xs = finite(returns);
  const n = xs.length;
  if (n < 3) return Number.NaN;
  const { s2, s3 } = centralSums(xs);
  if (s2 === 0) return 0;
  const m2 = s2 / n;
  const m3 = s3 / n;
  return (Math.sqrt(n * (n - 1)) / (n - 2)) * (m3 / m2 ** 1.5);
}

/**
 * Excess kurtosis, bias-corrected (G2, as pandas' `Series.kurt` and quantstats give it; a normal distribution gives ≈ 0):
 * G2 = ((n+1) n (n−1) / ((n−2)(n−3))) × Σd⁴ / (Σd²)² − 3 (n−1)² / ((n−2)(n−3)).
 * NaN below four returns; 0 for a constant series (pandas' convention).
 */
export function kurtosis(returns: ArrayLike<number>): number {
  const xs = finite(returns);
  const n = xs.length;
  if (n < 4) return Number.NaN;
  const { s2, s4 } = centralSums(xs);
  if (s2 === 0) return 0;
  const a = ((n + 1) * n * (n - 1)) / ((n - 2) * (n - 3));
  const b = (3 * (n - 1) ** 2) / ((n - 2) * (n - 3));
  return (a * s4) / (s2 * s2) - b;
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between closest ranks (numpy's default `percentile`). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const xs = finite(values).sort((a, b) => a - b);
  if (xs.length === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const h = (xs.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, xs.length - 1);
  return (xs[lo] as number) + (h - lo) * ((xs[hi] as number) - (xs[lo] as number));
}

/**
 * Historical value at risk of one period: the (1 − confidence) quantile of the returns (linear interpolation, as
 * empyrical's `value_at_risk`), a return, so a loss is negative. Default confidence 95%. NaN for no returns.
 */
export function valueAtRisk(returns: ArrayLike<number>, confidence = 0.95): number {
  return quantile(returns, 1 - confidence);
}

/**
 * Historical expected shortfall (conditional VaR) of one period: the mean of the returns at or below the value at risk
 * (empyrical's `conditional_value_at_risk`); a return, negative for a loss. NaN for no returns.
 */
export function expectedShortfall(returns: ArrayLike<number>, confidence = 0.95): number {
  const xs = finite(returns);
  const cutoff = valueAtRisk(xs, confidence);
  if (Number.isNaN(cutoff)) return Number.NaN;
  let sum = 0;
  let n = 0;
  for (const r of xs) {
    if (r <= cutoff) {
      sum += r;
      n += 1;
    }
  }
  return sum / n;
}
