// Determinism across config order: listing the strategies in another order changes nothing in the log but the recorded
// config (PortfolioOpened's config and config hash, and so every hash of the chain after it).
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { parsePortfolioConfig, type PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const strategies: PortfolioConfigInput['strategies'] = [
  { id: 'mom', kind: 'momentum', allocation: '0.3', params: { lookback: 10, topN: 2, rebalanceEvery: 5 } },
  { id: 'bh', kind: 'buy-and-hold', allocation: '0.2' },
  { id: 'tf', kind: 'trend-following', allocation: '0.25', params: { fast: 5, slow: 12 } },
  { id: 'mr', kind: 'mean-reversion', allocation: '0.2', params: { lookback: 10, entryZ: 1, exitZ: 0.2 } },
];

async function logOf(order: readonly number[]): Promise<{ opened: unknown; rest: unknown[] }> {
  const store = await openEventStore('memory:');
  const config = parsePortfolioConfig({
    id: 'order',
    name: 'config order',
    capital: '1000000',
    strategies: order.map((i) => strategies[i] as PortfolioConfigInput['strategies'][number]),
    execution: { fillAt: 'next-open', commission: { kind: 'per-share', perShare: '0.01', minimum: '1' }, slippageBps: '2' },
    rebalancing: { algorithm: 'risk-parity', params: { lookback: 15 }, frequency: 'monthly', driftThreshold: 0.05 },
    lookback: 30,
  });
  const portfolio = await Portfolio.open({ store, config });
  await portfolio.run((async function* () {
    yield* syntheticSlices({ seed: 7, symbols: 5, bars: 90, start: '2023-01-02' });
  })());
  portfolio.close();
  const events = await readAllEvents(store);
  await store.close();
  return {
    opened: events[0]?.data,
    rest: events.slice(1).map((e) => ({ type: e.type, data: e.data, barTime: e.metadata.barTime, revision: e.metadata.revision })),
  };
}

describe('config order', () => {
  it('changes only the recorded config: every event after PortfolioOpened has the same type, data, bar time and revision', async () => {
    const a = await logOf([0, 1, 2, 3]);
    const b = await logOf([3, 1, 0, 2]);
    expect(a.rest.length).toBeGreaterThan(200);
    expect(b.rest).toEqual(a.rest);
    expect(b.opened).not.toEqual(a.opened);
    const { config: configA, configHash: hashA, ...openedA } = a.opened as { config: unknown; configHash: string };
    const { config: configB, configHash: hashB, ...openedB } = b.opened as { config: unknown; configHash: string };
    expect(openedB).toEqual(openedA);
    expect(configB).not.toEqual(configA);
    // The config hash follows the recorded config (so a reordered config is a different config to resume against).
    expect(hashB).not.toBe(hashA);
  });
});
