// The conventions a report on a log states its yearly figures in: the annual risk-free rate and the bars a year. Each is
// the command's flag when given, else the value recorded in the portfolio's config, else its default (0 and 252).
import { ConfigError } from '../errors.js';
import { MAX_BARS_PER_YEAR } from '../config/portfolioConfig.js';
import type { YearlyConventions } from '../metrics/options.js';
import type { EventStore } from '../../events/store.js';

/** Help text of `--risk-free` on the commands that report on a stored log (replay, report, serve). */
export const RISK_FREE_HELP = "annual risk-free rate for Sharpe and omega, as a fraction (0.02 = 2%); default: the config's riskFree, else 0";

/** Help text of `--bars-per-year` on the commands that report on a stored log. */
export const BARS_PER_YEAR_HELP =
  "bars in a year, the factor that annualises mean, volatility, Sharpe and Sortino (252 daily stocks, 365 daily crypto, 525600 1-minute crypto); default: the config's barsPerYear, else 252";

/** The flags a reporting command takes its conventions from (as typed). */
export interface ConventionFlags {
  readonly riskFree?: string;
  readonly barsPerYear?: string;
}

/**
 * Parses `--risk-free <annual rate>` (a fraction: 0.02 is 2% a year).
 * @throws ConfigError when it is not a number above -1 and below 1.
 */
export function parseRiskFreeFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= -1 || value >= 1) {
    throw new ConfigError(`--risk-free must be an annual rate as a fraction above -1 and below 1 (0.02 is 2% a year), got "${text}"`, 'riskFree');
  }
  return value;
}

/**
 * Parses `--bars-per-year <n>`.
 * @throws ConfigError when it is not a whole number from 1 to one bar a second.
 */
export function parseBarsPerYearFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > MAX_BARS_PER_YEAR) {
    throw new ConfigError(
      `--bars-per-year must be a whole number of bars from 1 to ${MAX_BARS_PER_YEAR} (252 for daily stock bars, 525600 for 1-minute crypto bars), got "${text}"`,
      'barsPerYear',
    );
  }
  return value;
}

/** What a portfolio's config says of its conventions: its optional `riskFree` and `barsPerYear`. */
export interface RecordedConventions {
  readonly riskFree?: number;
  readonly barsPerYear?: number;
}

/**
 * The conventions the flags give, validated (a command parses them before it opens a store).
 * @throws ConfigError for a malformed flag.
 */
export function parseConventionFlags(flags: ConventionFlags): YearlyConventions {
  return conventions(parseRiskFreeFlag(flags.riskFree), parseBarsPerYearFlag(flags.barsPerYear));
}

/** The conventions `given` (from flags) states, and what it leaves out from a config. */
export function overConfig(given: YearlyConventions, config: RecordedConventions): YearlyConventions {
  return conventions(given.annualRiskFree ?? config.riskFree, given.annualization ?? config.barsPerYear);
}

function conventions(annualRiskFree: number | undefined, annualization: number | undefined): YearlyConventions {
  return { ...(annualRiskFree === undefined ? {} : { annualRiskFree }), ...(annualization === undefined ? {} : { annualization }) };
}

/** The `riskFree` and `barsPerYear` recorded in the config of a portfolio's log (its first event), where present. */
export async function recordedConventions(store: EventStore, stream: string): Promise<RecordedConventions> {
  for await (const event of store.readStream(stream, { fromRevision: 0 })) {
    if (event.type !== 'PortfolioOpened') return {};
    const config = event.data.config;
    if (config === null || typeof config !== 'object' || Array.isArray(config)) return {};
    const { riskFree, barsPerYear } = config as Readonly<Record<string, unknown>>;
    return {
      ...(typeof riskFree === 'number' ? { riskFree } : {}),
      ...(typeof barsPerYear === 'number' ? { barsPerYear } : {}),
    };
  }
  return {};
}

/**
 * The conventions a command reporting on a stored log uses: each flag when given, else what the portfolio's config
 * recorded, else the default. Replay, report and serve take them from here so their figures agree.
 */
export async function storedLogConventions(store: EventStore, stream: string, given: YearlyConventions): Promise<YearlyConventions> {
  return overConfig(given, await recordedConventions(store, stream));
}
