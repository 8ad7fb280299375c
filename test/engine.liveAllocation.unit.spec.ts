// Allocation weighs live strategies only: paused ones keep what they hold and get nothing, a drawdown pause resumes by
// its configured rule, strategies in warm-up keep their weight, and missing inputs never send capital to the reserve.
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../events/envelope.js';
import { syntheticMarket } from '../src/market/syntheticMarket.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, ofType, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const fourBuiltIns: PortfolioConfigInput['strategies'] = [
  { id: 'buy-hold', kind: 'buy-and-hold', allocation: '0.2' },
  { id: 'momentum', kind: 'momentum', allocation: '0.25', params: { lookback: 5, topN: 2, rebalanceEvery: 5 } },
  { id: 'mean-rev', kind: 'mean-reversion', allocation: '0.25', params: { lookback: 5, entryZ: 1, exitZ: 0.2 } },
  { id: 'trend', kind: 'trend-following', allocation: '0.2', params: { fast: 3, slow: 8 } },
];

// 2022-01-12 is a Wednesday: the synthetic weekdays reach February on the 15th slice, so the monthly schedule's first
// rebalance comes 14 slices in, when every strategy has 14 returns (its first slice counts: it starts from nothing).
const market = (bars: number) => syntheticMarket({ seed: 5, symbols: 4, bars, start: '2022-01-12' });

describe('mip before any strategy has a usable score', () => {
  it('keeps the current weights on its first rebalance, 14 slices in, and records the warm-up', async () => {
    const config = testConfig({ capital: '1000000', strategies: fourBuiltIns, rebalancing: { algorithm: 'mip', params: {}, frequency: 'monthly' } });
    const events = await runSlices(config, market(16));
    const decided = ofType(events, 'RebalanceDecided');
    expect(decided).toHaveLength(1);
    expect(decided[0]?.metadata.barTime).toBe('2022-02-01T00:00:00.000Z');
    expect(decided[0]?.data.leftOut).toEqual({
      'buy-hold': 'warm-up: 14 of 20 returns',
      'mean-rev': 'warm-up: 14 of 20 returns',
      momentum: 'warm-up: 14 of 20 returns',
      trend: 'warm-up: 14 of 20 returns',
    });
    expectNothingMoved(events);
  });

  it('with no warm-up, strategies without a usable score keep their weight (minHistory 0)', async () => {
    // Slow signals: none of them trades in 16 slices, so each has a flat value and no Sharpe ratio.
    const idle: PortfolioConfigInput['strategies'] = [
      { id: 'mean-rev', kind: 'mean-reversion', allocation: '0.3', params: { lookback: 30 } },
      { id: 'momentum', kind: 'momentum', allocation: '0.3', params: { lookback: 30 } },
      { id: 'trend', kind: 'trend-following', allocation: '0.3', params: { fast: 10, slow: 30 } },
    ];
    const config = testConfig({ capital: '1000000', strategies: idle, rebalancing: { algorithm: 'mip', params: {}, frequency: 'monthly', minHistory: 0 } });
    const events = await runSlices(config, market(16));
    const [first] = ofType(events, 'RebalanceDecided');
    expect(first?.data.leftOut).toEqual({ 'mean-rev': 'no usable sharpe', momentum: 'no usable sharpe', trend: 'no usable sharpe' });
    expect(first?.data.finalWeights).toEqual({});
    expectNothingMoved(events);
  });
});

function expectNothingMoved(events: RecordedEvent[]): void {
  expect(ofType(events, 'CapitalTransferred').filter((e) => e.data.rebalanceId !== null)).toEqual([]);
  const last = ofType(events, 'BarMarked').at(-1);
  expect(Number(last?.data.reserve)).toBeLessThan(0.2 * Number(last?.data.portfolioValue));
  for (const v of Object.values(last?.data.strategyValues ?? {})) expect(Number(v)).toBeGreaterThan(100_000);
}

describe('a paused strategy takes no part in an allocation', () => {
  it('keeps what it holds, gets no weight, and the rebalance says it was left out, why and since when', async () => {
    const config = testConfig({
      capital: '1000000',
      strategies: fourBuiltIns,
      rebalancing: { algorithm: 'risk-parity', params: { method: 'inverse-volatility' }, frequency: 'weekly', minHistory: 2 },
    });
    const events = await runSlices(config, market(40), {}, (p, i) => {
      if (i === 10) p.pauseStrategy('trend', 'paused for the test');
    });
    const paused = ofType(events, 'StrategyLifecycleChanged').find((e) => e.data.to === 'paused');
    expect(paused?.metadata.barTime).toBeDefined();
    const after = ofType(events, 'RebalanceDecided').filter((e) => e.position > (paused?.position ?? Infinity));
    expect(after.length).toBeGreaterThan(2);
    for (const r of after) {
      expect(r.data.finalWeights['trend']).toBeUndefined();
      expect(r.data.leftOut?.['trend']).toBe(`paused since ${paused?.metadata.barTime}: paused for the test`);
      expect(Object.keys(r.data.finalWeights).sort()).toEqual(['buy-hold', 'mean-rev', 'momentum']);
    }
    const trendMoves = ofType(events, 'CapitalTransferred').filter((e) => e.position > (paused?.position ?? Infinity) && (e.data.from === 'trend' || e.data.to === 'trend'));
    expect(trendMoves).toEqual([]);
  });
});

describe('the drawdown pause resumes by its rule', () => {
  // One symbol falls 40% over two bars, then recovers: a strategy that holds it all breaks a 20% limit.
  const closes = ['100', '100', '80', '60', '62', '64', '66', '70', '90', '100', '101', '102'];
  const bars = closes.map((c, i) => slice(day(i), { A: c }));
  const holder = scripted('holder', (ctx) => {
    if (ctx.expectedQuantity('A').isZero()) ctx.orderTargetPercent('A', '0.9');
  });
  const kinds = { holder: () => holder };
  const moves = (events: RecordedEvent[]) =>
    ofType(events, 'StrategyLifecycleChanged').filter((e) => e.data.from !== 'initializing').map((e) => `${e.metadata.barTime?.slice(0, 10)} ${e.data.to}: ${e.data.reason}`);

  it('without a rule the strategy stays paused', async () => {
    const events = await runSlices(testConfig({ strategies: [{ id: 's', kind: 'holder', allocation: '1' }], risk: { maxDrawdown: 0.2 } }), bars, kinds);
    expect(moves(events)).toEqual([`${day(3).slice(0, 10)} paused: risk: drawdown -36.00% beyond the limit of 20.00%`]);
  });

  it('resumeAfterBars resumes it that many bars after the pause', async () => {
    const events = await runSlices(testConfig({ strategies: [{ id: 's', kind: 'holder', allocation: '1' }], risk: { maxDrawdown: 0.2, resumeAfterBars: 3 } }), bars, kinds);
    expect(moves(events)).toEqual([
      `${day(3).slice(0, 10)} paused: risk: drawdown -36.00% beyond the limit of 20.00%`,
      `${day(6).slice(0, 10)} running: risk: resumed after 3 bars paused (resumeAfterBars 3)`,
    ]);
  });

  it('resumeWhenDrawdownBelow resumes it once the drawdown has recovered within the level', async () => {
    const events = await runSlices(testConfig({ strategies: [{ id: 's', kind: 'holder', allocation: '1' }], risk: { maxDrawdown: 0.2, resumeWhenDrawdownBelow: 0.1 } }), bars, kinds);
    const m = moves(events);
    expect(m).toHaveLength(2);
    expect(m[1]).toMatch(new RegExp(`^${day(8).slice(0, 10)} running: risk: resumed: drawdown -[0-9.]+% within 10.00% \\(resumeWhenDrawdownBelow\\)$`));
  });
});
