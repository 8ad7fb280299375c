// Metrics of returns relative to other series: beta and alpha against a benchmark, and the correlation matrix of several series.
import { ConfigError } from '../errors.js';
import { resolveSeriesOptions, type MetricOptions } from './options.js';
import { mean, sampleStd } from './seriesBasics.js';

/** Index pairs where both series are not NaN (empyrical masks a period when either side is missing). */
function paired(a: ArrayLike<number>, b: ArrayLike<number>, what: string): { xs: number[]; ys: number[] } {
  if (a.length !== b.length) {
    throw new ConfigError(`${what}: the series have ${a.length} and ${b.length} returns; align them by period first`);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isNaN(x) && !Number.isNaN(y)) {
      xs.push(x);
      ys.push(y);
    }
  }
  return { xs, ys };
}

/** r − rf and b − rf over the paired periods, rf taken per period (a series stays aligned with the returns). */
function excessPairs(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options: MetricOptions | undefined, what: string) {
  if (returns.length !== benchmark.length) paired(returns, benchmark, what);
  const { riskFree } = resolveSeriesOptions(options, returns.length);
  const r = Float64Array.from({ length: returns.length }, (_, i) => (returns[i] as number) - (riskFree[i] as number));
  const b = Float64Array.from({ length: benchmark.length }, (_, i) => (benchmark[i] as number) - (riskFree[i] as number));
  return paired(r, b, what);
}

/**
 * Beta: cov(r − rf, b − rf) / var(b − rf) over the periods where both are present (population moments, as empyrical; ddof cancels).
 * NaN with fewer than two paired observations or a benchmark variance below 1e-30.
 * @throws ConfigError when the two series differ in length.
 */
export function beta(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options?: MetricOptions): number {
  const { xs: r, ys: b } = excessPairs(returns, benchmark, options, 'beta');
  if (r.length < 2) return Number.NaN;
  const mb = mean(b);
  let cov = 0;
  let variance = 0;
  for (let i = 0; i < b.length; i += 1) {
    const d = (b[i] as number) - mb;
    cov += d * (r[i] as number);
    variance += d * d;
  }
  cov /= b.length;
  variance /= b.length;
  return variance < 1e-30 ? Number.NaN : cov / variance;
}

/**
 * Annualised alpha: (1 + mean((r − rf) − β(b − rf)))^factor − 1 over paired periods (empyrical's alpha_aligned).
 * NaN wherever beta is NaN.
 * @throws ConfigError when the two series differ in length.
 */
export function alpha(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization } = resolveSeriesOptions(options, returns.length);
  const b = beta(returns, benchmark, options);
  if (Number.isNaN(b)) return Number.NaN;
  const { xs, ys } = excessPairs(returns, benchmark, options, 'alpha');
  const excess = xs.map((x, i) => x - b * (ys[i] as number));
  return (1 + mean(excess)) ** annualization - 1;
}

/**
 * Pearson correlation of every pair of series over the periods where both are present (pairwise, like pandas' DataFrame.corr).
 * An entry is NaN with fewer than two common periods or when either side is constant there; the diagonal is 1 (NaN for a constant series).
 * @throws ConfigError when the series differ in length.
 */
export function correlationMatrix(series: readonly ArrayLike<number>[]): number[][] {
  const n = series.length;
  const out: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(Number.NaN));
  for (let i = 0; i < n; i += 1) {
    for (let j = i; j < n; j += 1) {
      const { xs, ys } = paired(series[i] as ArrayLike<number>, series[j] as ArrayLike<number>, 'correlationMatrix');
      const c = pearson(xs, ys);
      const v = i === j && !Number.isNaN(c) ? 1 : c;
      (out[i] as number[])[j] = v;
      (out[j] as number[])[i] = v;
    }
  }
  return out;
}

function pearson(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i += 1) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Pearson correlation of two aligned series over the periods where both are present; NaN with fewer than two such
 * periods or when either side is constant there (the same definition as one entry of {@link correlationMatrix}).
 * @throws ConfigError when the two series differ in length.
 */
export function correlation(returns: ArrayLike<number>, benchmark: ArrayLike<number>): number {
  const { xs, ys } = paired(returns, benchmark, 'correlation');
  return pearson(xs, ys);
}

/** Active returns r − b over the periods where both are present. */
function activeReturns(returns: ArrayLike<number>, benchmark: ArrayLike<number>, what: string): number[] {
  const { xs, ys } = paired(returns, benchmark, what);
  return xs.map((x, i) => x - (ys[i] as number));
}

/**
 * Annualised tracking error: sample standard deviation (ddof 1) of the active returns r − b × √factor, over paired
 * periods. NaN with fewer than two.
 * @throws ConfigError when the two series differ in length or the options are invalid.
 */
export function trackingError(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization } = resolveSeriesOptions(options, returns.length);
  return sampleStd(activeReturns(returns, benchmark, 'trackingError')) * Math.sqrt(annualization);
}

/**
 * Annualised information ratio: mean(r − b) / std(r − b) × √factor over paired periods (ddof 1) — the Sharpe ratio of
 * the active returns (quantstats and empyrical's excess_sharpe leave it per period; multiply by 1/√factor to compare).
 * NaN with fewer than two; ±Infinity for a constant non-zero active return.
 * @throws ConfigError when the two series differ in length or the options are invalid.
 */
export function informationRatio(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization } = resolveSeriesOptions(options, returns.length);
  const active = activeReturns(returns, benchmark, 'informationRatio');
  if (active.length < 2) return Number.NaN;
  return (mean(active) / sampleStd(active)) * Math.sqrt(annualization);
}
