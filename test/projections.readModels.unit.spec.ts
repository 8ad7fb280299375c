import { describe, expect, it } from 'vitest';
import {
  ProjectionRunner,
  attributionView,
  correlationMatrix,
  correlationView,
  createMemoryEventStore,
  portfolioSummary,
  positionsView,
  sharpeRatio,
  standardProjections,
  strategyMetrics,
  totalReturn,
  maxDrawdown,
  tradeSummaries,
  type EventStore,
  type ReturnStats,
} from '../src/index.js';
import { STREAM, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

async function foldFixture(store: EventStore = createMemoryEventStore()) {
  await appendBatches(store, fixtureBatches());
  const runner = new ProjectionRunner(store, standardProjections({ period: 'daily' }), { stream: STREAM, checkpointEvery: 0 });
  return (await runner.run()).states;
}

const returnsA = [0.015, 648 / 609 - 1, 0];
const returnsB = [0, 1 / 30, -1 / 62];

describe('read models of the hand-made log', () => {
  it('portfolio summary: value with the reserve, cash, return on capital, active strategies', async () => {
    const s = await foldFixture();
    const summary = portfolioSummary(s.portfolio, s.performance);
    expect(summary.portfolioValue).toBe('1053');
    expect(summary.reserve).toBe('108');
    expect(summary.cash).toBe('1148'); // 600 + 440 + 108
    expect(summary.returnOnCapital).toBeCloseTo(0.053, 15);
    expect(summary.activeStrategies).toEqual(['a', 'b']);
    expect(summary.asOf).toBe(T3);
    expect(summary.marks).toBe(3);
    // weights 600/945 and 345/945 of the Sharpe ratios of each series
    const expected = (600 / 945) * sharpeRatio(returnsA) + (345 / 945) * sharpeRatio(returnsB);
    expect(summary.capitalWeightedSharpe).toBeCloseTo(expected, 10);
    // portfolio value series 1000 → 1009 → 1058 → 1053
    expect(summary.metrics.totalReturn).toBeCloseTo(0.053, 12);
  });

  it('performance: returns exclude capital transfers and feed every metric', async () => {
    const s = await foldFixture();
    const [a, b] = strategyMetrics(s.performance);
    expect(a?.strategyId).toBe('a');
    expect(a?.observations).toBe(3);
    expect(a?.totalReturn).toBeCloseTo(totalReturn(returnsA), 12); // 0.08 = 648/600 − 1, the 48 moved out is not a loss
    expect(a?.totalReturn).toBeCloseTo(0.08, 12);
    expect(a?.sharpeRatio).toBeCloseTo(sharpeRatio(returnsA), 10);
    expect(b?.totalReturn).toBeCloseTo(totalReturn(returnsB), 12);
    expect(b?.maxDrawdown).toBeCloseTo(maxDrawdown(returnsB), 12);
    expect(b?.maxDrawdown).toBeCloseTo(-1 / 62, 12);
    // b's returns 0, +1/30, −1/62: the flat period is neither a win nor a loss.
    expect(b?.winRate).toBe(0.5);
    // b's P&L in money: 300 − 300 = 0, 310 − 300 = +10, (345 − 40) − 310 = −5; a's: +9, +39, (600 + 48) − 648 = 0.
    expect(b?.profitFactor).toBe(2);
    expect(a?.profitFactor).toBe(Number.POSITIVE_INFINITY);
  });

  it('positions per strategy and aggregated, valued at the latest marks', async () => {
    const s = await foldFixture();
    const v = positionsView(s.positions);
    const b = v.strategies.find((x) => x.strategyId === 'b');
    expect(v.strategies.find((x) => x.strategyId === 'a')?.positions).toEqual([]);
    expect(b?.cash).toBe('440');
    expect(b?.value).toBe('345');
    expect(b?.positions).toEqual([
      { symbol: 'Y', quantity: '-5', avgCost: '20', mark: '19', marketValue: '-95', unrealizedPnl: '5' },
    ]);
    expect(v.aggregate).toEqual([{ symbol: 'Y', quantity: '-5', marketValue: '-95', strategies: ['b'] }]);
  });

  it('correlation over common bars equals the batch correlation of the two return series', async () => {
    const s = await foldFixture();
    const c = correlationView(s.correlation, s.performance);
    expect(c.ids).toEqual(['a', 'b']);
    expect(c.commonBars[0]?.[1]).toBe(3);
    expect(c.matrix[0]?.[1]).toBeCloseTo(correlationMatrix([returnsA, returnsB])[0]?.[1] as number, 12);
    expect(c.matrix[1]?.[1]).toBe(1);
  });

  it("correlation's diagonal: a strategy's common bars with itself are its own returns, and a series without spread has no correlation", async () => {
    const s = await foldFixture();
    const c = correlationView(s.correlation, s.performance);
    // a and b each have three returns; the diagonal's 1 stands on them, not on 0 bars.
    expect(c.commonBars).toEqual([[3, 3], [3, 3]]);
    // A strategy whose every return is the same (in cash all along) has no Pearson correlation, with itself or any other.
    const flat = { ...s.performance, strategies: new Map([...s.performance.strategies, ['a', { ...(s.performance.strategies.get('a') as ReturnStats), m2: 0 }]]) };
    expect(correlationView(s.correlation, flat).matrix[0]?.[0]).toBeNaN();
    expect(correlationView(s.correlation, flat).matrix[1]?.[1]).toBe(1);
  });

  it('attribution: contributions net of transfers sum exactly to the portfolio P&L', async () => {
    const s = await foldFixture();
    const at = attributionView(s.attribution);
    expect(at.strategies.map((x) => [x.strategyId, x.contribution])).toEqual([
      ['a', '48'], // 600 − (600 − 48)
      ['b', '5'], // 345 − (300 + 40)
    ]);
    expect(at.portfolioPnl).toBe('53'); // 1053 − 1000
  });

  it('trades: a closed round trip with its exact P&L, and an open one', async () => {
    const s = await foldFixture();
    expect(s.trades.recent).toEqual([
      { strategyId: 'a', symbol: 'X', side: 'long', openedAt: '2024-01-01T00:00:00.000Z', closedAt: '2024-01-02T00:00:00.000Z', fills: 2, pnl: '48' },
    ]);
    const [a, b] = tradeSummaries(s.trades);
    expect(a).toMatchObject({ roundTrips: 1, wins: 1, losses: 0, winRate: 1, profitFactor: Number.POSITIVE_INFINITY, openTrips: 0 });
    expect(b).toMatchObject({ roundTrips: 0, openTrips: 1 });
    expect(b?.winRate).toBeNaN();
  });

  it('allocation history groups the transfers of one rebalance; the audit trail keeps the decision and its transfers', async () => {
    const s = await foldFixture();
    const h = s.allocationHistory.entries;
    expect(h).toHaveLength(3); // a funded, b funded, rebalance r1
    const last = h[2];
    expect(last?.rebalanceId).toBe('r1');
    expect(last?.moved).toBe('88');
    expect(last?.capital).toEqual({ a: '600', b: '350' });
    expect(last?.reserve).toBe('108');
    expect(last?.weights.a).toBeCloseTo(600 / 1058, 15);
    const r = s.rebalances.rebalances[0];
    expect(r?.rebalanceId).toBe('r1');
    expect(r?.capitalMoved).toBe('88');
    expect(r?.netByAccount).toEqual({ a: '-48', reserve: '8', b: '40' });
    expect(r?.transfers.map((t) => [t.from, t.to, t.amount])).toEqual([
      ['a', 'reserve', '48'],
      ['reserve', 'b', '40'],
    ]);
  });

  it('keeps only the last `keep` entries so memory stays bounded', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    const runner = new ProjectionRunner(store, standardProjections({ keep: 1 }), { stream: STREAM, checkpointEvery: 0 });
    const { states } = await runner.run();
    expect(states.allocationHistory.entries.map((e) => e.rebalanceId)).toEqual(['r1']);
    expect(states.allocationHistory.total).toBe(3);
  });
});
