// The risk-free rate a report uses: `--risk-free` when given, else the one recorded in the portfolio's config, else 0.
import { ConfigError } from '../errors.js';
import type { EventStore } from '../../events/store.js';

/** Help text of `--risk-free` on the commands that report on a stored log (replay, report, serve). */
export const RISK_FREE_HELP = "annual risk-free rate for Sharpe and omega, as a fraction (0.02 = 2%); default: the config's riskFree, else 0";

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

/** The annual risk-free rate recorded in the config of a portfolio's log (its first event), or undefined. */
export async function recordedRiskFree(store: EventStore, stream: string): Promise<number | undefined> {
  for await (const event of store.readStream(stream, { fromRevision: 0 })) {
    if (event.type !== 'PortfolioOpened') return undefined;
    const config = event.data.config;
    if (config === null || typeof config !== 'object' || Array.isArray(config)) return undefined;
    const rate = (config as Readonly<Record<string, unknown>>)['riskFree'];
    return typeof rate === 'number' ? rate : undefined;
  }
  return undefined;
}

/**
 * The annual risk-free rate a command reporting on a stored log uses: the flag when given, else the rate recorded in
 * the portfolio's config, else undefined (0). Replay, report and serve take it from here so their figures agree.
 */
export async function storedLogRiskFree(store: EventStore, stream: string, flag: number | undefined): Promise<number | undefined> {
  return flag ?? (await recordedRiskFree(store, stream));
}
