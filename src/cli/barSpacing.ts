// How often a bar file's slices come, against the daily annualisation every statistic assumes.
import { ANNUALIZATION_FACTORS } from '../metrics/options.js';
import type { BarFileSummary } from '../market/barSource.js';

const YEAR_MS = 365.25 * 86_400_000;
// Fewer slices than this say little about their spacing (two daily bars around a weekend come "122 a year").
const MIN_SLICES = 10;
// Daily bars come 252 a year on business days, 365 with weekends: within a factor of two of the assumed 252.
const TOLERANCE = 2;

/**
 * A warning when a file's slices come far more or less often than the daily bars the statistics are annualised for
 * (minute, hourly, weekly or monthly bars): their "a year" figures would be scaled by the wrong factor. Null otherwise.
 */
export function annualisationWarning(file: string, summary: BarFileSummary): string | null {
  const assumed = ANNUALIZATION_FACTORS.daily;
  if (summary.slices < MIN_SLICES || summary.firstTime === undefined || summary.lastTime === undefined) return null;
  const span = Date.parse(summary.lastTime) - Date.parse(summary.firstTime);
  if (!(span > 0)) return null;
  const perYear = ((summary.slices - 1) * YEAR_MS) / span;
  if (perYear <= assumed * TOLERANCE && perYear >= assumed / TOLERANCE) return null;
  return (
    `${file}: its ${summary.slices} slices come about ${Number(perYear.toPrecision(2))} a year (${summary.firstTime} … ${summary.lastTime}); ` +
    `the yearly figures (annual return, volatility, Sharpe) assume ${assumed} a year, as daily bars do, so they are not yearly figures for these bars`
  );
}
