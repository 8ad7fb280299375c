// `stratafolio backtest`: runs a portfolio config over a bar file into a store, resuming after the last persisted slice.
import type { Command } from 'commander';
import { loadPortfolioConfig } from '../../config/portfolioConfig.js';
import { openBarSource, validateBarFile, type BarFormat } from '../../market/barSource.js';
import { ConfigError } from '../../errors.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { Portfolio } from '../../../actors/portfolio.js';
import { writeJson, type CliIO } from '../output.js';
import { printSummary, runWithProgress, summarise } from '../runSummary.js';
import type { RegisterCommand } from './index.js';

interface BacktestFlags {
  readonly config: string;
  readonly bars: string;
  readonly format?: string;
  readonly store: string;
  readonly json?: boolean;
}

const FORMATS: readonly BarFormat[] = ['long', 'wide', 'ndjson'];

/** Registers `backtest`. */
export const registerBacktest: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('backtest')
    .description('run a portfolio config over a bar file; running it again resumes after the last persisted slice')
    .requiredOption('--config <file>', 'portfolio config (JSON)')
    .requiredOption('--bars <file>', 'bar file: long CSV, wide CSV or NDJSON')
    .option('--format <format>', 'long | wide | ndjson (default: from the file)')
    .option('--store <url>', 'event store URL (sqlite:./path.db, postgres://…, kurrentdb://…, memory:)', 'sqlite:./runs/backtest.db')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: BacktestFlags) => {
      await runBacktestCommand(flags, io);
    });
};

async function runBacktestCommand(flags: BacktestFlags, io: CliIO): Promise<void> {
  if (flags.format !== undefined && !FORMATS.includes(flags.format as BarFormat)) {
    throw new ConfigError(`--format must be one of ${FORMATS.join(', ')}, got "${flags.format}"`, 'format');
  }
  const format = flags.format as BarFormat | undefined;
  const config = await loadPortfolioConfig(flags.config);
  // The whole file is checked before anything is appended: bad data never leaves half a run behind.
  const checked = await validateBarFile(flags.bars, format);
  // A durability named in the URL wins over the config's.
  const store = await openEventStore(flags.store, flags.store.includes('durability=') ? {} : { durability: config.durability });
  try {
    const portfolio = await Portfolio.open({ store, config, baseDir: Portfolio.baseDirOf(flags.config) });
    try {
      const run = await runWithProgress(portfolio, openBarSource({ path: flags.bars, format: checked.format }), io, { total: checked.slices, quiet: flags.json === true });
      const summary = summarise(portfolio, run);
      if (flags.json) writeJson(io, summary);
      else printSummary(io, summary);
    } finally {
      portfolio.close();
    }
  } finally {
    await store.close();
  }
}
