// The engine seals its own events without a schema check (they are built from typed values): this holds it to that,
// by checking every payload a trading run writes against its schema, as `audit --verify` does.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { invalidEventData } from '../events/envelope.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';

describe('events the engine seals without a schema check', () => {
  it('all satisfy their schemas: orders, fills, transfers, rebalances, lifecycle moves, removal and marks', async () => {
    const store = await openEventStore('memory:');
    const config = parsePortfolioConfig({
      id: 'schemas',
      name: 'schemas',
      capital: '1000000',
      strategies: [
        { id: 'mom', kind: 'momentum', allocation: '0.3', params: { lookback: 10, topN: 3, rebalanceEvery: 5 } },
        { id: 'mr', kind: 'mean-reversion', allocation: '0.3', params: {} },
        { id: 'bh', kind: 'buy-and-hold', allocation: '0.3', params: {} },
      ],
      execution: { fillAt: 'next-open', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
    });
    const portfolio = await Portfolio.open({ store, config });
    let n = 0;
    for (const slice of syntheticSlices({ seed: 3, symbols: 8, bars: 120 })) {
      if (n === 40) portfolio.rebalance({ mom: 0.5, mr: 0.2, bh: 0.2 });
      if (n === 80) portfolio.removeStrategy('mr');
      await portfolio.processSlice(slice);
      n += 1;
    }
    const types = new Set<string>();
    const invalid: string[] = [];
    for await (const event of store.readAll()) {
      types.add(event.type);
      const why = invalidEventData(event);
      if (why !== null) invalid.push(`revision ${event.metadata.revision}: ${why}`);
    }
    expect(invalid).toEqual([]);
    for (const type of ['OrderPlaced', 'FillRecorded', 'CapitalTransferred', 'RebalanceDecided', 'StrategyLifecycleChanged', 'StrategyRemoved', 'BarMarked']) {
      expect(types).toContain(type);
    }
    portfolio.close();
    await store.close();
  });
});
