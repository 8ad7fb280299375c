// Options every command that runs a portfolio shares: how long strategy code may run, and what recovery reports.
import { Option } from 'commander';
import { ConfigError } from '../errors.js';
import { DEFAULT_STRATEGY_TIMEOUT_MS, type Portfolio } from '../../actors/portfolio.js';
import type { CliIO } from './output.js';
import { MAX_TIMER_HOURS, MAX_TIMER_MS } from '../timerLimit.js';

/** The `--strategy-timeout <ms>` option, for `command.addOption(…)`. */
export function strategyTimeoutOption(): Option {
  return new Option(
    '--strategy-timeout <ms>',
    'end the run with an error naming the strategy (and bar) when user strategy code runs longer than this: loading its module, or its calls in one slice (a backtest decides slices in batches: a slice late in one gets at least half)',
  ).default(String(DEFAULT_STRATEGY_TIMEOUT_MS));
}

/** The flag's value in milliseconds. @throws ConfigError naming the flag. */
export function strategyTimeoutMs(text: string): number {
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new ConfigError(
      `--strategy-timeout must be a positive number of milliseconds up to ${MAX_TIMER_MS} (about ${MAX_TIMER_HOURS}h, the longest a timer can wait), got "${text}"`,
      'strategy-timeout',
    );
  }
  return ms;
}

/** Prints what reopening the portfolio had to ignore (an altered or stale recovery snapshot, say) on stderr. */
export function printRecoveryWarnings(portfolio: Portfolio, io: CliIO): void {
  for (const warning of portfolio.recovery.warnings) io.stderr.write(`stratafolio: warning: ${warning}\n`);
}
