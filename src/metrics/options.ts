// Conventions shared by every metric: return periods, annualisation factors and per-period thresholds (empyrical's defaults).
import { ConfigError } from '../errors.js';

/** How often returns are sampled; sets the default annualisation factor. */
export type ReturnPeriod = 'daily' | 'weekly' | 'monthly' | 'yearly';

/** Periods per year for each {@link ReturnPeriod} (empyrical's ANNUALIZATION_FACTORS). */
export const ANNUALIZATION_FACTORS: Readonly<Record<ReturnPeriod, number>> = {
  daily: 252,
  weekly: 52,
  monthly: 12,
  yearly: 1,
};

/** Options every metric accepts; all thresholds are per period, as the returns are. */
export interface MetricOptions {
  /** Sampling period of the returns (default `daily`). */
  readonly period?: ReturnPeriod;
  /** Explicit periods per year; overrides `period`. */
  readonly annualization?: number;
  /**
   * Per-period risk-free rate subtracted before Sharpe, omega, beta and alpha (default 0): one number, or a series aligned
   * with the returns (entry i applies to return i, as empyrical accepts). Running statistics take a number only.
   */
  readonly riskFree?: number | ArrayLike<number>;
  /** The risk-free rate as an annual rate (0.02 = 2% a year), converted per period by {@link perPeriodRate}; excludes `riskFree`. */
  readonly annualRiskFree?: number;
  /** Per-period minimum acceptable return for downside risk, Sortino and omega (default 0): a number or an aligned series. */
  readonly requiredReturn?: number | ArrayLike<number>;
}

/**
 * The conventions a report states its yearly figures in: the annual risk-free rate (default 0) and how many bars make a
 * year (default 252, daily bars). Both come from a portfolio's config or the reporting command's flags.
 */
export interface YearlyConventions {
  readonly annualRiskFree?: number;
  /** Bars a year: the annualisation factor of mean, volatility, Sharpe and Sortino, and of the risk-free rate per bar. */
  readonly annualization?: number;
}

/** The metric options that state figures in `conventions`: every report, summary and fold of a log takes them from here. */
export function conventionOptions(conventions: YearlyConventions = {}): MetricOptions {
  return {
    annualRiskFree: conventions.annualRiskFree ?? 0,
    ...(conventions.annualization === undefined ? {} : { annualization: conventions.annualization }),
  };
}

/** Options with every default filled in and validated. */
export interface ResolvedMetricOptions {
  readonly annualization: number;
  readonly riskFree: number;
  readonly requiredReturn: number;
}

/**
 * Fills in defaults (daily, 252 periods, zero thresholds) and validates the options.
 * @throws ConfigError when the annualisation factor is not a positive finite number, the period is unknown, or a threshold is not finite.
 */
export function resolveMetricOptions(options: MetricOptions = {}): ResolvedMetricOptions {
  const period = options.period ?? 'daily';
  if (!Object.prototype.hasOwnProperty.call(ANNUALIZATION_FACTORS, period)) {
    throw new ConfigError(`metric option period: "${String(period)}" is not one of daily, weekly, monthly, yearly`, 'period');
  }
  const annualization = options.annualization ?? ANNUALIZATION_FACTORS[period];
  if (!Number.isFinite(annualization) || annualization <= 0) {
    throw new ConfigError(`metric option annualization: ${String(annualization)} must be a positive finite number`, 'annualization');
  }
  const riskFree = options.annualRiskFree !== undefined ? annualRate(options, annualization) : constantThreshold(options.riskFree, 'riskFree');
  const requiredReturn = constantThreshold(options.requiredReturn, 'requiredReturn');
  if (!Number.isFinite(riskFree)) throw new ConfigError(`metric option riskFree: ${String(riskFree)} must be finite`, 'riskFree');
  if (!Number.isFinite(requiredReturn)) {
    throw new ConfigError(`metric option requiredReturn: ${String(requiredReturn)} must be finite`, 'requiredReturn');
  }
  return { annualization, riskFree, requiredReturn };
}

/** The per-period rate of `annualRiskFree`, validated. @throws ConfigError when `riskFree` is given too, or the rate is not above -1. */
function annualRate(options: MetricOptions, annualization: number): number {
  if (options.riskFree !== undefined) throw new ConfigError('metric options riskFree and annualRiskFree exclude each other: give one', 'riskFree');
  const annual = options.annualRiskFree as number;
  if (!(Number.isFinite(annual) && annual > -1)) {
    throw new ConfigError(`metric option annualRiskFree: ${String(annual)} must be a finite rate above -1`, 'annualRiskFree');
  }
  return perPeriodRate(annual, annualization);
}

/**
 * The per-period rate that compounds to `annual` over one year of `annualization` periods: (1 + annual)^(1/N) − 1.
 * With N = 252, 2% a year is 0.00786% a day; compounding (not annual / N) keeps 252 daily risk-free returns equal to
 * the annual rate, as the annual return of a series is computed by compounding too.
 */
export function perPeriodRate(annual: number, annualization: number): number {
  return (1 + annual) ** (1 / annualization) - 1;
}

function constantThreshold(value: number | ArrayLike<number> | undefined, name: 'riskFree' | 'requiredReturn'): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  throw new ConfigError(
    `metric option ${name}: a per-period series applies to a whole return series (the batch functions); running statistics need one number`,
    name,
  );
}

/** Options resolved for one return series: thresholds as one value per period, aligned with the returns. */
export interface SeriesMetricOptions {
  readonly annualization: number;
  readonly riskFree: Float64Array;
  readonly requiredReturn: Float64Array;
}

/**
 * Resolves the options for a series of `length` returns, spreading a constant threshold over every period.
 * @throws ConfigError as {@link resolveMetricOptions} does, and when a threshold series differs in length from the returns or holds a non-finite entry.
 */
export function resolveSeriesOptions(options: MetricOptions | undefined, length: number): SeriesMetricOptions {
  const o = options ?? {};
  const { annualization } = resolveMetricOptions({ ...o, riskFree: 0, annualRiskFree: undefined, requiredReturn: 0 });
  const riskFree = o.annualRiskFree !== undefined ? annualRate(o, annualization) : o.riskFree;
  return {
    annualization,
    riskFree: thresholdSeries(riskFree, length, 'riskFree'),
    requiredReturn: thresholdSeries(o.requiredReturn, length, 'requiredReturn'),
  };
}

function thresholdSeries(value: number | ArrayLike<number> | undefined, length: number, name: 'riskFree' | 'requiredReturn'): Float64Array {
  if (value === undefined || typeof value === 'number') {
    const v = value ?? 0;
    if (!Number.isFinite(v)) throw new ConfigError(`metric option ${name}: ${String(v)} must be finite`, name);
    return new Float64Array(length).fill(v);
  }
  if (value.length !== length) {
    throw new ConfigError(`metric option ${name}: the series has ${value.length} entries for ${length} returns; align it with the returns`, name);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i += 1) {
    const v = value[i] as number;
    if (!Number.isFinite(v)) throw new ConfigError(`metric option ${name}: entry ${i} is ${String(v)}; every entry must be finite`, name);
    out[i] = v;
  }
  return out;
}
