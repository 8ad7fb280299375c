// `stratafolio backtest`: runs a portfolio config over a bar file (or standard input) into a store, resuming after the
// last persisted slice.
import type { Command } from 'commander';
import { configFieldError, readPortfolioConfigFile } from '../../config/portfolioConfig.js';
import { missingSymbols } from '../../config/configSymbols.js';
import { loadConfiguredStrategies, preflightConfig } from '../preflight.js';
import { printRecoveryWarnings, strategyTimeoutMs, strategyTimeoutOption } from '../portfolioOptions.js';
import { openBarSource, validateBarFile, type BarFormat } from '../../market/barSource.js';
import { ConfigError } from '../../errors.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { feedStream } from '../../../events/feedRecord.js';
import { Portfolio } from '../../../actors/portfolio.js';
import { writeJson, type CliIO } from '../output.js';
import { printSummary, runStatistics, runWithProgress, storedHeadHash, summarise } from '../runSummary.js';
import { BARS_PER_YEAR_HELP, overConfig, parseConventionFlags } from '../yearlyConventions.js';
import { batchClock, moduleLoadTimer } from '../../feeds/wallClock.js';
import { endedSymbolWarnings, waitingOrderWarnings } from '../barFileWarnings.js';
import { annualisationWarning } from '../annualisationWarning.js';
import { barsInput } from '../barsInput.js';
import { decStr } from '../../money/decimal.js';
import type { RegisterCommand } from './index.js';

interface BacktestFlags {
  readonly config: string;
  readonly bars: string;
  readonly format?: string;
  readonly store: string;
  readonly json?: boolean;
  readonly allowMissingSymbols?: boolean;
  readonly strategyTimeout: string;
  readonly riskFree?: string;
  readonly barsPerYear?: string;
}

const FORMATS: readonly BarFormat[] = ['long', 'wide', 'ndjson'];

/** Registers `backtest`. */
export const registerBacktest: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('backtest')
    .description('run a portfolio config over a bar file; running it again resumes after the last persisted slice')
    .requiredOption('--config <file>', 'portfolio config (JSON)')
    .requiredOption('--bars <file>', 'bar file, or - for standard input')
    .option('--format <format>', 'long (CSV) | wide (CSV) | ndjson (default: from the file name; required for standard input, - or /dev/stdin, and for a pipe such as <(gunzip -c bars.csv.gz))')
    .option('--store <url>', 'event store URL (sqlite:./path.db, postgres://…, kurrentdb://…, memory:)', 'sqlite:./runs/backtest.db')
    .option('--json', 'print the summary as JSON')
    .option('--risk-free <annual rate>', "annual risk-free rate for Sharpe and omega, as a fraction (0.02 = 2%); wins over the config's riskFree")
    .option('--bars-per-year <n>', `${BARS_PER_YEAR_HELP}; for the summary only: the allocation algorithms use the config's`)
    .option('--allow-missing-symbols', 'run even when a symbol the config names never appears in the bar file (each is still reported)')
    .addOption(strategyTimeoutOption())
    .action(async (flags: BacktestFlags) => {
      await runBacktestCommand(flags, io);
    });
};

async function runBacktestCommand(flags: BacktestFlags, io: CliIO): Promise<void> {
  if (flags.format !== undefined && !FORMATS.includes(flags.format as BarFormat)) {
    throw new ConfigError(`--format must be one of ${FORMATS.join(', ')}, got "${flags.format}"`, 'format');
  }
  const format = flags.format as BarFormat | undefined;
  const bars = barsInput(flags.bars, format);
  const timeoutMs = strategyTimeoutMs(flags.strategyTimeout);
  const given = parseConventionFlags(flags);
  const { config, source } = await readPortfolioConfigFile(flags.config);
  for (const warning of preflightConfig(config, source)) io.stderr.write(`stratafolio: warning: ${warning}\n`);
  // The whole file is checked before anything is appended: bad data never leaves half a run behind. Standard input can
  // be read only once: it is held in memory for the check and the run.
  const content = await bars.read();
  const checked = await validateBarFile(bars.name, format, content === undefined ? {} : { content });
  const missing = missingSymbols(config, checked.symbols);
  if (missing.length > 0) {
    const lines = missing.map((m) => configFieldError(source, m.field, `symbol "${m.symbol}" never appears in ${bars.name}`).message);
    const known = `(the file has ${checked.symbols.length} symbols: ${checked.symbols.slice(0, 12).join(', ')}${checked.symbols.length > 12 ? ', …' : ''})`;
    if (!flags.allowMissingSymbols) {
      throw new ConfigError(`${lines.join('; ')} ${known}; fix the name, or pass --allow-missing-symbols to run without it`, missing[0]?.field);
    }
    for (const line of lines) io.stderr.write(`stratafolio: warning: ${line}: the strategy will never trade it\n`);
  }
  const conventions = overConfig(given, config);
  const spacing = annualisationWarning(bars.name, checked, conventions.annualization);
  if (spacing !== null) io.stderr.write(`stratafolio: warning: ${spacing}\n`);
  // Strategy modules load before the store opens: one that cannot load leaves no store behind.
  const baseDir = Portfolio.baseDirOf(flags.config);
  const loaded = await loadConfiguredStrategies(config, source, { baseDir, strategyTimeoutMs: timeoutMs, loadTimer: moduleLoadTimer });
  // A durability named in the URL wins over the config's.
  // Appends on a writer thread: the run decides each slice while the one before it is written (durable before it is reported).
  const store = await openEventStore(flags.store, { ...(flags.store.includes('durability=') ? {} : { durability: config.durability }), writerThread: true });
  try {
    // One writer per portfolio: a paper session or another backtest on it is refused here (naming it), before the portfolio is read.
    const lock = await store.acquireWriterLock(config.id);
    try {
      // A paper session's slices are recorded with their bars in its feed record; a backtest's would not be, so export-bars
      // (and a backtest over what it writes) would silently leave them out. Its bars are the file it ran on, in another store.
      const feed = feedStream(config.id);
      if ((await store.streamRevision(feed)) !== 'no_stream') {
        throw new ConfigError(
          `portfolio "${config.id}" in ${store.url} is a paper session's (${feed} records the bars it acted on): a backtest would append slices ` +
            'that record does not hold, so export-bars and a backtest over its bars would leave them out. Backtest into another store ' +
            '(export-bars writes out the bars of this one)',
          'store',
        );
      }
      const portfolio = await Portfolio.open({ store, config, baseDir, strategyTimeoutMs: timeoutMs, loadTimer: moduleLoadTimer, batchClock, loaded });
      printRecoveryWarnings(portfolio, io);
      try {
        const run = await runWithProgress(portfolio, openBarSource({ path: bars.name, format: checked.format, ...(content === undefined ? {} : { content }) }), io, { total: checked.slices, quiet: flags.json === true });
        const id = portfolio.status().portfolioId;
        const summary = summarise(portfolio, run, await storedHeadHash(store, id), await runStatistics(store, id, conventions));
        if (flags.json) writeJson(io, summary);
        else printSummary(io, summary);
        for (const warning of endedSymbolWarnings(bars.name, checked, summary.strategies)) io.stderr.write(`stratafolio: warning: ${warning}\n`);
        const waiting = portfolio.kernel.state.pendingOrders.map((o) => ({ strategyId: o.strategyId, symbol: o.symbol, quantity: decStr(o.quantity) }));
        for (const warning of waitingOrderWarnings(bars.name, waiting)) io.stderr.write(`stratafolio: warning: ${warning}\n`);
      } finally {
        portfolio.close();
      }
    } finally {
      await lock.release();
    }
  } finally {
    await store.close();
  }
}
