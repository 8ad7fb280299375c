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
  /** Per-period risk-free rate subtracted before Sharpe, omega, beta and alpha (default 0). */
  readonly riskFree?: number;
  /** The risk-free rate as an annual rate (0.02 = 2% a year), converted per period by {@link perPeriodRate}; excludes `riskFree`. */
  readonly annualRiskFree?: number;
  /** Per-period minimum acceptable return for downside risk, Sortino and omega (default 0). */
  readonly requiredReturn?: number;
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
  if (options.annualRiskFree !== undefined && options.riskFree !== undefined) {
    throw new ConfigError('metric options riskFree and annualRiskFree exclude each other: give one', 'riskFree');
  }
  if (options.annualRiskFree !== undefined && !(Number.isFinite(options.annualRiskFree) && options.annualRiskFree > -1)) {
    throw new ConfigError(`metric option annualRiskFree: ${String(options.annualRiskFree)} must be a finite rate above -1`, 'annualRiskFree');
  }
  const riskFree = options.annualRiskFree !== undefined ? perPeriodRate(options.annualRiskFree, annualization) : (options.riskFree ?? 0);
  const requiredReturn = options.requiredReturn ?? 0;
  if (!Number.isFinite(riskFree)) throw new ConfigError(`metric option riskFree: ${String(riskFree)} must be finite`, 'riskFree');
  if (!Number.isFinite(requiredReturn)) {
    throw new ConfigError(`metric option requiredReturn: ${String(requiredReturn)} must be finite`, 'requiredReturn');
  }
  return { annualization, riskFree, requiredReturn };
}

/**
 * The per-period rate that compounds to `annual` over one year of `annualization` periods: (1 + annual)^(1/N) − 1.
 * With N = 252, 2% a year is 0.00786% a day; compounding (not annual / N) keeps 252 daily risk-free returns equal to
 * the annual rate, as the annual return of a series is computed by compounding too.
 */
export function perPeriodRate(annual: number, annualization: number): number {
  return (1 + annual) ** (1 / annualization) - 1;
}
