// The JIT warm-up a paper session runs before it connects: it leaves no trace in the session's events, never loads a
// strategy module, and its flag is checked like any other.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/openEventStore.js';
import type { RecordedEvent } from '../events/envelope.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig, type PortfolioConfig } from '../src/config/portfolioConfig.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { jitWarmUp } from '../src/cli/jitWarmUp.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';
import { runCli } from './fixtures/cliRun.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

async function sessionEvents(config: PortfolioConfig): Promise<RecordedEvent[]> {
  const store = createMemoryEventStore();
  const portfolio = await Portfolio.open({ store, config });
  for (const slice of syntheticSlices({ seed: 42, symbols: SYMBOLS, bars: 120, start: '2024-03-01' })) await portfolio.processSlice(slice);
  portfolio.close();
  const events: RecordedEvent[] = [];
  for await (const e of store.readStream(`portfolio-${config.id}`)) events.push(e);
  await store.close();
  return events;
}

describe('JIT warm-up', () => {
  it('runs the config’s built-in strategies and leaves the session’s events exactly as without it', async () => {
    const config = await loadPortfolioConfig(PAPER_CONFIG);
    const cold = await sessionEvents(config);
    expect(cold.some((e) => e.type === 'FillRecorded')).toBe(true);

    const warmUp = await jitWarmUp(config, SYMBOLS, 300);
    expect(warmUp).toEqual({ slices: 300, strategies: 3, skipped: null });
    const warm = await sessionEvents(config);
    expect(warm.map((e) => e.metadata.hash)).toEqual(cold.map((e) => e.metadata.hash));
  });

  it('never loads a strategy module (a module may keep state the session must not see)', async () => {
    const config = await loadPortfolioConfig(PAPER_CONFIG);
    const module = join(import.meta.dirname, 'fixtures', 'strategies', 'brokenSyntax.mjs');
    const withModule: PortfolioConfig = { ...config, strategies: [...config.strategies, { ...(config.strategies[0] as PortfolioConfig['strategies'][number]), id: 'mine', kind: undefined, module, allocation: config.strategies[0]?.allocation ?? '0', params: {} }] };
    // Loading the module would fail, and the warm-up would report itself skipped.
    expect(await jitWarmUp(withModule, SYMBOLS, 50)).toEqual({ slices: 50, strategies: 3, skipped: null });
  });

  it('is turned off by 0', async () => {
    const config = await loadPortfolioConfig(PAPER_CONFIG);
    expect(await jitWarmUp(config, SYMBOLS, 0)).toEqual({ slices: 0, strategies: 0, skipped: 'turned off' });
  });

  it('paper refuses a --jit-warm-up that is not a whole number, before touching the store', async () => {
    const r = await runCli('paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', 'memory:', '--jit-warm-up', 'lots');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--jit-warm-up "lots" is not a whole number');
  });
});
