// Performance metrics of a series of simple per-period returns, following empyrical's conventions (NaN entries skipped).
import { profitFactorOf, winRateOf } from './outcomeRatios.js';
import { finite, mean, sampleStd } from './seriesBasics.js';
import { resolveSeriesOptions, type MetricOptions } from './options.js';

/** r_i − threshold_i for every non-NaN return, in order (a threshold series stays aligned with the returns it belongs to). */
function finiteMinus(returns: ArrayLike<number>, threshold: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) out.push(r - (threshold[i] as number));
  }
  return out;
}

/**
 * Growth after one more period: `growth × (1 + r)`, the one compounding rule of every wealth figure (total and annual
 * return, drawdowns, the replay's and the backtest summary's time-weighted returns). A return of −100% leaves nothing
 * (growth 0, and 0 from then on: a total loss is not undone by later returns on new capital). A return below −100% —
 * a loss of more than the whole value, a short squeezed past its equity — leaves a value below zero, on which no
 * return compounds: the growth is undefined (NaN) from that period on, and so is every figure read from it. Chaining
 * through it instead gives numbers with no meaning (a sign flipped by the next bar, −267,280 for −100%-and-more).
 */
export function compound(growth: number, r: number): number {
  return r < -1 ? Number.NaN : growth * (1 + r);
}

/** Why the compounded figures of a series are undefined, for a reader of the n/a or null they show. */
export const LOSS_BEYOND_VALUE = 'a bar lost more than the whole value (the value went below zero), and no return compounds past that';

/**
 * Compounded return of the whole series: Π(1 + r) − 1 ({@link compound}); NaN returns count as 0 (empyrical's
 * cum_returns_final). Defined for one observation; NaN for an empty series and after a return below −100%.
 */
export function totalReturn(returns: ArrayLike<number>): number {
  if (returns.length === 0) return Number.NaN;
  let growth = 1;
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) growth = compound(growth, r);
  }
  return growth - 1;
}

/**
 * Compound annual growth rate: Π(1 + r)^(factor / n) − 1, where n counts every entry including NaN (as empyrical does).
 * Defined for one observation; NaN for an empty series.
 */
export function annualReturn(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization } = resolveSeriesOptions(options, returns.length);
  if (returns.length === 0) return Number.NaN;
  const ending = 1 + totalReturn(returns);
  return ending ** (annualization / returns.length) - 1;
}

/** Annualised volatility: sample standard deviation (ddof 1) of the non-NaN returns × √factor; NaN with fewer than two. */
export function annualVolatility(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization } = resolveSeriesOptions(options, returns.length);
  return sampleStd(finite(returns)) * Math.sqrt(annualization);
}

/**
 * Annualised Sharpe ratio: mean(r − rf) / std(r − rf) × √factor (ddof 1, per-period rf); NaN with fewer than two returns.
 * A zero spread gives ±Infinity for a non-zero mean and NaN for a zero mean (numpy's division semantics).
 */
export function sharpeRatio(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization, riskFree } = resolveSeriesOptions(options, returns.length);
  const adjusted = finiteMinus(returns, riskFree);
  if (adjusted.length < 2) return Number.NaN;
  return (mean(adjusted) / sampleStd(adjusted)) * Math.sqrt(annualization);
}

/**
 * Annualised downside risk: √mean(min(r − required, 0)²) over all non-NaN observations × √factor.
 * Defined for one observation; NaN for none.
 */
export function downsideRisk(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization, requiredReturn } = resolveSeriesOptions(options, returns.length);
  return downsideOfExcess(finiteMinus(returns, requiredReturn), annualization);
}

/** √mean(min(e, 0)²) × √factor of excess returns e = r − required; NaN for none. */
function downsideOfExcess(excess: readonly number[], annualization: number): number {
  if (excess.length === 0) return Number.NaN;
  let ss = 0;
  for (const e of excess) {
    const d = Math.min(e, 0);
    ss += d * d;
  }
  return Math.sqrt(ss / excess.length) * Math.sqrt(annualization);
}

/**
 * Annualised Sortino ratio: mean(r − required) × factor / downside risk; NaN with fewer than two returns.
 * No downside at all gives +Infinity for a positive mean (empyrical returns inf there too).
 */
export function sortinoRatio(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { annualization, requiredReturn } = resolveSeriesOptions(options, returns.length);
  const excess = finiteMinus(returns, requiredReturn);
  if (excess.length < 2) return Number.NaN;
  return (mean(excess) * annualization) / downsideOfExcess(excess, annualization);
}

/**
 * Omega ratio: Σ positive excess / Σ |negative excess| of r − rf − required (per-period threshold).
 * NaN with fewer than two returns or when nothing falls below the threshold (empyrical's convention).
 * Unlike empyrical, `requiredReturn` is per period like every other option here; pass (1 + R)^(1/factor) − 1 for an annual R.
 */
export function omegaRatio(returns: ArrayLike<number>, options?: MetricOptions): number {
  const { riskFree, requiredReturn } = resolveSeriesOptions(options, returns.length);
  const excesses: number[] = [];
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) excesses.push(r - (riskFree[i] as number) - (requiredReturn[i] as number));
  }
  if (excesses.length < 2) return Number.NaN;
  let gains = 0;
  let losses = 0;
  for (const excess of excesses) {
    if (excess > 0) gains += excess;
    else if (excess < 0) losses -= excess;
  }
  return losses > 0 ? gains / losses : Number.NaN;
}

/** Equity curve starting at 1 before the first return, NaN returns counting as 0: [1, 1+r1, (1+r1)(1+r2), …] ({@link compound}: NaN after a return below −100%). */
function equityCurve(returns: ArrayLike<number>): number[] {
  const curve = [1];
  let v = 1;
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) v = compound(v, r);
    curve.push(v);
  }
  return curve;
}

/**
 * How far `level` lies below `peak`, as a fraction ≤ 0 (0 at the peak, −0.2 at 20% below it; 0 for a peak that is not
 * positive): the one drawdown rule, for the engine's limits and statistics and for every metric here.
 */
export function drawdownFrom(level: number, peak: number): number {
  return peak > 0 ? level / peak - 1 : 0;
}

/**
 * Deepest fall from a running peak, as a fraction (≤ 0), on an equity curve starting at 1 before the first return.
 * Defined for one observation; NaN for an empty series and after a return below −100% ({@link compound}).
 */
export function maxDrawdown(returns: ArrayLike<number>): number {
  if (returns.length === 0) return Number.NaN;
  let peak = -Infinity;
  let worst = 0;
  for (const v of equityCurve(returns)) {
    if (Number.isNaN(v)) return Number.NaN;
    peak = Math.max(peak, v);
    worst = Math.min(worst, drawdownFrom(v, peak));
  }
  return worst;
}

/** Fall of the latest equity value from its running peak (≤ 0; 0 at a new high); NaN for an empty series and after a return below −100%. */
export function currentDrawdown(returns: ArrayLike<number>): number {
  if (returns.length === 0) return Number.NaN;
  const curve = equityCurve(returns);
  const peak = Math.max(...curve);
  const last = curve[curve.length - 1] as number;
  return Number.isNaN(last) ? Number.NaN : drawdownFrom(last, peak);
}

/**
 * Calmar ratio: annual return / |max drawdown|; NaN with fewer than two returns, without a drawdown, or when infinite (empyrical).
 */
export function calmarRatio(returns: ArrayLike<number>, options?: MetricOptions): number {
  if (finite(returns).length < 2) return Number.NaN;
  const dd = maxDrawdown(returns);
  if (!(dd < 0)) return Number.NaN;
  const ratio = annualReturn(returns, options) / Math.abs(dd);
  return Number.isFinite(ratio) ? ratio : Number.NaN;
}

/** {@link winRateOf} over a return series: a positive return is a win, a negative one a loss, zero neither (NaN is skipped). */
export function winRate(returns: ArrayLike<number>): number {
  const xs = finite(returns);
  return winRateOf(xs.filter((r) => r > 0).length, xs.filter((r) => r < 0).length);
}

/** {@link profitFactorOf} over per-period profit and loss in money (not returns): Σ positive / |Σ negative| (NaN is skipped). */
export function profitFactor(pnl: ArrayLike<number>): number {
  let profit = 0;
  let loss = 0;
  for (const x of finite(pnl)) {
    if (x > 0) profit += x;
    else if (x < 0) loss -= x;
  }
  return profitFactorOf(profit, loss);
}
