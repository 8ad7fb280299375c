// Metrics of returns relative to other series: beta and alpha against a benchmark, and the correlation matrix of several series.
import { ConfigError } from '../errors.js';
import { resolveMetricOptions, type MetricOptions } from './options.js';

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

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Beta: cov(r − rf, b − rf) / var(b − rf) over the periods where both are present (population moments, as empyrical; ddof cancels).
 * NaN with fewer than two paired observations or a benchmark variance below 1e-30.
 * @throws ConfigError when the two series differ in length.
 */
export function beta(returns: ArrayLike<number>, benchmark: ArrayLike<number>, options?: MetricOptions): number {
  const { riskFree } = resolveMetricOptions(options);
  const { xs, ys } = paired(returns, benchmark, 'beta');
  if (xs.length < 2) return Number.NaN;
  const r = xs.map((x) => x - riskFree);
  const b = ys.map((y) => y - riskFree);
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
  const { riskFree, annualization } = resolveMetricOptions(options);
  const b = beta(returns, benchmark, options);
  if (Number.isNaN(b)) return Number.NaN;
  const { xs, ys } = paired(returns, benchmark, 'alpha');
  const excess = xs.map((x, i) => x - riskFree - b * ((ys[i] as number) - riskFree));
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
