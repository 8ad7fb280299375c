// `stratafolio demo`: generates a synthetic market and runs the demo portfolio into a store (SQLite by default).
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { MAX_SYNTHETIC_SEED, isSyntheticSeed, syntheticMarket } from '../../market/syntheticMarket.js';
import { openEventStore } from '../../../events/openEventStore.js';
import { Portfolio } from '../../../actors/portfolio.js';
import { writeJson, type CliIO } from '../output.js';
import { printSummary, runStatistics, runWithProgress, storedHeadHash, summarise } from '../runSummary.js';
import { parseConventionFlags } from '../yearlyConventions.js';
import { DEMO_SEED, DEMO_SLICES, demoConfig, demoMarket } from '../demoPortfolio.js';
import { printRecoveryWarnings } from '../portfolioOptions.js';
import type { RegisterCommand } from './index.js';

interface DemoFlags {
  readonly store: string;
  readonly slices: string;
  readonly seed: string;
  readonly json?: boolean;
  readonly riskFree?: string;
}

/** Registers `demo`. */
export const registerDemo: RegisterCommand = (program: Command, io: CliIO) => {
  program
    .command('demo')
    .description('run four built-in strategies under risk-parity rebalancing on a synthetic market')
    .option('--store <url>', 'event store URL', 'sqlite:./runs/demo.db')
    .option('--slices <n>', 'number of daily slices (bar times) of the synthetic market', String(DEMO_SLICES))
    .option('--seed <n>', 'seed of the synthetic market (0 to 4294967295)', String(DEMO_SEED))
    .option('--risk-free <annual rate>', 'annual risk-free rate for Sharpe and omega, as a fraction (0.02 = 2%)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: DemoFlags) => {
      const slices = Number(flags.slices);
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(slices) || slices < 1) throw new ConfigError(`--slices must be a positive integer, got "${flags.slices}"`, 'slices');
      // Checked before the store is opened: the market is generated only once the portfolio is, and a seed it refused
      // then would leave a store holding a demo that can never run.
      if (!isSyntheticSeed(seed)) throw new ConfigError(`--seed must be an integer from 0 to ${MAX_SYNTHETIC_SEED}, got "${flags.seed}"`, 'seed');
      const conventions = parseConventionFlags({ riskFree: flags.riskFree });
      const config = demoConfig(slices, seed);
      const store = await openEventStore(flags.store, flags.store.includes('durability=') ? {} : { durability: config.durability });
      try {
        const portfolio = await Portfolio.open({ store, config });
        printRecoveryWarnings(portfolio, io);
        try {
          const run = await runWithProgress(portfolio, syntheticMarket(demoMarket(slices, seed)), io, { total: slices, quiet: flags.json === true });
          const id = portfolio.status().portfolioId;
          const summary = summarise(portfolio, run, await storedHeadHash(store, id), await runStatistics(store, id, conventions));
          if (flags.json) writeJson(io, summary);
          else {
            printSummary(io, summary);
            io.stdout.write(`next: stratafolio replay --store ${store.url}\n      stratafolio audit --store ${store.url} --verify --expect-head ${summary.headHash}\n`);
          }
        } finally {
          portfolio.close();
        }
      } finally {
        await store.close();
      }
    });
};
