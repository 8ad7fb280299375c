// Bars that come far more or less often than the bars a year the statistics are annualised with (minute bars reported
// as if daily, say) make every yearly figure wrong by the square root of the ratio: said once, with the figure to use.
import { ANNUALIZATION_FACTORS, type YearlyConventions } from '../metrics/options.js';
import type { BarFileSummary } from '../market/barSource.js';

// 365 days: the year behind the conventional factors of round-the-clock markets (365 daily, 8,760 hourly, 525,600 a minute).
const YEAR_MS = 365 * 86_400_000;
// Fewer slices than this say little about their spacing (two daily bars around a weekend come "122 a year").
const MIN_SLICES = 10;
// Daily stock bars come about 252 a year, 365 with weekends: a factor of two covers both and flags anything intraday.
const TOLERANCE = 2;

/**
 * A warning when `slices` bar times from `first` to `last` come far more or less often than `barsPerYear` (else null):
 * what the figures assume, what the bars show, and how to state them right.
 */
function spacingWarning(what: string, slices: number, first: string | null | undefined, last: string | null | undefined, barsPerYear: number): string | null {
  if (slices < MIN_SLICES || first == null || last == null) return null;
  const perYear = observedPerYear(slices, first, last);
  if (perYear === null || !farApart(perYear, barsPerYear)) return null;
  return `${what}: its ${slices} slices come about ${Number(perYear.toPrecision(2))} a year (${first} … ${last}); ${advice(barsPerYear, perYear)}`;
}

/** How many a year `slices` bar times from `first` to `last` come at (null for no elapsed time). */
function observedPerYear(slices: number, first: string, last: string): number | null {
  const span = Date.parse(last) - Date.parse(first);
  return span > 0 ? ((slices - 1) * YEAR_MS) / span : null;
}

/** The factor in use: the config's or flag's bars a year, else the daily 252. */
function factorOf(barsPerYear: number | undefined): number {
  return barsPerYear ?? ANNUALIZATION_FACTORS.daily;
}

function farApart(perYear: number, barsPerYear: number): boolean {
  return perYear > barsPerYear * TOLERANCE || perYear < barsPerYear / TOLERANCE;
}

/** Reports (replay, report, serve) take a flag; the engine's allocation reads only the config. */
const REPORT_REMEDY = 'give --bars-per-year (or barsPerYear in the config)';
const CONFIG_REMEDY = 'set barsPerYear in the config';

function advice(barsPerYear: number, perYear: number, remedy = REPORT_REMEDY): string {
  return (
    `the yearly figures (annual return, volatility, Sharpe) assume ${barsPerYear} bars a year, so they are not yearly ` +
    `figures for these bars: ${remedy} with the bars your market has in a year (e.g. ${Math.round(perYear)})`
  );
}

/**
 * The warning for a paper session on a feed whose bars come every `intervalMs` (a live feed runs round the clock, so a
 * year holds 365 days of them), against the config's bars a year (absent: 252). Null when they agree or the
 * interval is unknown.
 */
export function feedAnnualisationWarning(feed: string, intervalMs: number | null, barsPerYear?: number): string | null {
  if (intervalMs === null || !(intervalMs > 0)) return null;
  const perYear = YEAR_MS / intervalMs;
  const assumed = factorOf(barsPerYear);
  if (!farApart(perYear, assumed)) return null;
  return `${feed}: its bars come ${Math.round(perYear)} a year round the clock; ${advice(assumed, perYear, CONFIG_REMEDY)}`;
}

/** The warning for a bar file about to run (see {@link spacingWarning}); `barsPerYear` absent is the daily 252. */
export function annualisationWarning(file: string, summary: BarFileSummary, barsPerYear?: number): string | null {
  return spacingWarning(file, summary.slices, summary.firstTime, summary.lastTime, factorOf(barsPerYear));
}

/** The warning for a portfolio's log, from its portfolio projection (marks, first and last bar time), stated in `conventions`. */
export function logAnnualisationWarning(
  portfolio: { readonly portfolioId: string | null; readonly marks: number; readonly firstMarkTime: string | null; readonly lastBarTime: string | null },
  conventions: YearlyConventions,
): string | null {
  const what = `the log of portfolio ${portfolio.portfolioId ?? '(unopened)'}`;
  return spacingWarning(what, portfolio.marks, portfolio.firstMarkTime, portfolio.lastBarTime, factorOf(conventions.annualization));
}

/** Slices a live session sees before it judges their spacing: an hour of minute bars, a quarter of daily ones. */
const LIVE_SLICES = 60;

/**
 * Watches the slices of a live session whose feed does not say its interval (stdin, a generic WebSocket) and, once it
 * has seen {@link LIVE_SLICES} of them, says whether they come far more or less often than the config's bars a year.
 */
export class SpacingWatch {
  private first: string | null = null;
  private seen = 0;

  constructor(
    private readonly feed: string,
    private readonly barsPerYear: number | undefined,
  ) {}

  /** Notes a slice's bar time; the warning, once, at the slice that completes the sample (else null). */
  observe(time: string): string | null {
    this.first ??= time;
    this.seen += 1;
    if (this.seen !== LIVE_SLICES) return null;
    const perYear = observedPerYear(LIVE_SLICES, this.first, time);
    const assumed = factorOf(this.barsPerYear);
    if (perYear === null || !farApart(perYear, assumed)) return null;
    return `${this.feed}: its first ${LIVE_SLICES} slices came about ${Number(perYear.toPrecision(2))} a year; ${advice(assumed, perYear, CONFIG_REMEDY)}`;
  }
}
