// `stratafolio demo`: generates a synthetic market and runs the demo portfolio into a store (SQLite by default).
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { syntheticMarket } from '../../market/syntheticMarket.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { Portfolio } from '../../../actors/portfolio.js';
import { writeJson, type CliIO } from '../output.js';
import { printSummary, runWithProgress, storedHeadHash, summarise } from '../runSummary.js';
import { demoConfig, demoMarket } from '../demoPortfolio.js';
import type { RegisterCommand } from './index.js';

interface DemoFlags {
  readonly store: string;
  readonly bars: string;
  readonly seed: string;
  readonly json?: boolean;
}

/** Registers `demo`. */
export const registerDemo: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('demo')
    .description('run four built-in strategies under risk-parity rebalancing on a synthetic market')
    .option('--store <url>', 'event store URL', 'sqlite:./runs/demo.db')
    .option('--bars <n>', 'number of daily slices to generate', '756')
    .option('--seed <n>', 'seed of the synthetic market', '42')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: DemoFlags) => {
      const bars = Number(flags.bars);
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(bars) || bars < 1) throw new ConfigError(`--bars must be a positive integer, got "${flags.bars}"`, 'bars');
      if (!Number.isSafeInteger(seed)) throw new ConfigError(`--seed must be an integer, got "${flags.seed}"`, 'seed');
      const config = demoConfig();
      const store = await openEventStore(flags.store, flags.store.includes('durability=') ? {} : { durability: config.durability });
      try {
        const portfolio = await Portfolio.open({ store, config });
        try {
          const run = await runWithProgress(portfolio, syntheticMarket(demoMarket(bars, seed)), io, { total: bars, quiet: flags.json === true });
          const summary = summarise(portfolio, run, await storedHeadHash(store, portfolio.status().portfolioId));
          if (flags.json) writeJson(io, summary);
          else {
            printSummary(io, summary);
            io.stdout.write(`next: stratafolio replay --store ${flags.store}\n      stratafolio audit --store ${flags.store} --verify --expect-head ${summary.headHash}\n`);
          }
        } finally {
          portfolio.close();
        }
      } finally {
        await store.close();
      }
    });
};
