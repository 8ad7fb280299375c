// Metrics that read the calendar: CAGR over elapsed time, and returns compounded by UTC month and year with the best and worst of each.
import { ConfigError } from '../errors.js';
import { compound } from './returnMetrics.js';

const DAY_MS = 86_400_000;
/** Days per year used to turn elapsed time into years (the Julian year; quantstats uses 365, empyrical counts periods). */
export const DAYS_PER_YEAR = 365.25;

function timeOf(t: string, i: number): number {
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new ConfigError(`time ${i}: "${t}" is not an ISO time`, 'time');
  return ms;
}

function alignedTimes(returns: ArrayLike<number>, times: readonly string[], what: string): void {
  if (returns.length !== times.length) {
    throw new ConfigError(`${what}: ${returns.length} returns but ${times.length} times; give one time per return`, 'time');
  }
}

/**
 * Years from `start` (default: the first time) to the last time, in Julian years: the span {@link cagr} annualises over.
 * NaN for no times.
 * @throws ConfigError when a time does not parse.
 */
export function elapsedYears(times: readonly string[], start?: string): number {
  if (times.length === 0) return Number.NaN;
  const from = timeOf(start ?? (times[0] as string), 0);
  return (timeOf(times[times.length - 1] as string, times.length - 1) - from) / DAY_MS / DAYS_PER_YEAR;
}

/**
 * Compound annual growth rate over calendar time: (Π(1 + r))^(1 / years) − 1, where years = (time of the last return −
 * `start`) / 365.25 days and `start` is the time the first return is measured from (default: the first return's time,
 * as quantstats counts). NaN returns count as 0. NaN for no returns, no elapsed time or a total loss below −100%.
 * @throws ConfigError when times and returns differ in length or a time does not parse.
 */
export function cagr(returns: ArrayLike<number>, times: readonly string[], start?: string): number {
  alignedTimes(returns, times, 'cagr');
  if (returns.length === 0) return Number.NaN;
  const years = elapsedYears(times, start);
  if (!(years > 0)) return Number.NaN;
  let growth = 1;
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) growth = compound(growth, r);
  }
  if (!(growth >= 0)) return Number.NaN;
  return growth ** (1 / years) - 1;
}

/** A compounded return over one calendar period. */
export interface PeriodReturn {
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month, `YYYY` for a year (UTC). */
  readonly period: string;
  readonly return: number;
  /** Returns compounded into it. */
  readonly observations: number;
}

/**
 * Returns compounded within each UTC calendar day, month or year, in time order: Π(1 + r) − 1 over the returns whose time
 * falls in the period (NaN returns count as 0). A period without returns is absent, not zero. From a return below −100%
 * on, every period's return is NaN ({@link compound}).
 * @throws ConfigError when times and returns differ in length or a time does not parse.
 */
export function periodReturns(returns: ArrayLike<number>, times: readonly string[], by: 'day' | 'month' | 'year'): PeriodReturn[] {
  alignedTimes(returns, times, 'periodReturns');
  const out: PeriodReturn[] = [];
  let key: string | null = null;
  let growth = 1;
  let n = 0;
  // After a return below −100% the value is below zero: no later period compounds either ({@link compound}).
  let beyondValue = false;
  for (let i = 0; i < returns.length; i += 1) {
    const iso = new Date(timeOf(times[i] as string, i)).toISOString();
    const k = iso.slice(0, by === 'day' ? 10 : by === 'month' ? 7 : 4);
    if (k !== key) {
      if (key !== null) out.push({ period: key, return: growth - 1, observations: n });
      key = k;
      growth = beyondValue ? Number.NaN : 1;
      n = 0;
    }
    const r = returns[i] as number;
    if (!Number.isNaN(r)) growth = compound(growth, r);
    if (r < -1) beyondValue = true;
    n += 1;
  }
  if (key !== null) out.push({ period: key, return: growth - 1, observations: n });
  return out;
}

/** The best and worst of a set of returns (NaN skipped); both NaN when there are none. */
export interface BestWorst {
  readonly best: number;
  readonly worst: number;
}

/** Largest and smallest non-NaN value. */
export function bestWorst(values: ArrayLike<number>): BestWorst {
  let best = Number.NaN;
  let worst = Number.NaN;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    if (!(v <= best)) best = v;
    if (!(v >= worst)) worst = v;
  }
  return { best, worst };
}
