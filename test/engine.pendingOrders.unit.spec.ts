// Orders waiting for the next open are part of what a strategy sees: target helpers order the difference from what is
// held plus what waits, long-only built-ins never go short in either fill mode, and both fill modes trade alike.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { RecordedEvent } from '../events/envelope.js';
import { syntheticMarket } from '../src/market/syntheticMarket.js';
import type { BarSlice } from '../src/market/bar.js';
import type { Strategy } from '../src/strategy/strategy.js';
import type { PortfolioConfig } from '../src/config/portfolioConfig.js';
import { day, ofType, readAllEvents, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

type FillAt = 'close' | 'next-open';

async function run(config: PortfolioConfig, bars: Iterable<BarSlice> | AsyncIterable<BarSlice>, probe?: Strategy): Promise<RecordedEvent[]> {
  const store = await openEventStore('memory:');
  const portfolio = await Portfolio.open({ store, config, ...(probe ? { kinds: { probe: () => probe } } : {}) });
  await portfolio.run((async function* () { yield* bars; })());
  portfolio.close();
  const events = await readAllEvents(store);
  await store.close();
  return events;
}

/** The lowest quantity each strategy ever held of any symbol, replayed from the fills. */
function lowestHoldings(events: readonly RecordedEvent[]): Map<string, number> {
  const held = new Map<string, number>();
  const lowest = new Map<string, number>();
  for (const f of ofType(events, 'FillRecorded')) {
    const key = `${f.data.strategyId} ${f.data.symbol}`;
    const q = (held.get(key) ?? 0) + Number(f.data.quantity);
    held.set(key, q);
    lowest.set(f.data.strategyId, Math.min(lowest.get(f.data.strategyId) ?? 0, q));
  }
  return lowest;
}

function longOnlyConfig(fillAt: FillAt, rebalanced: boolean): PortfolioConfig {
  return testConfig({
    capital: '1000000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.2' },
      { id: 'mom', kind: 'momentum', allocation: '0.25', params: { lookback: 5, topN: 1, rebalanceEvery: 3 } },
      { id: 'mr', kind: 'mean-reversion', allocation: '0.25', params: { lookback: 5, entryZ: 0.5, exitZ: 0.1 } },
      { id: 'tf', kind: 'trend-following', allocation: '0.25', params: { fast: 2, slow: 5 } },
    ],
    execution: { fillAt, commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
    ...(rebalanced
      ? { rebalancing: { algorithm: 'risk-parity', params: { method: 'inverse-volatility' }, constraints: { defaultMin: 0.05, defaultMax: 0.6 }, frequency: 'weekly', driftThreshold: 0.02 } }
      : {}),
    lookback: 20,
  });
}

/** Random daily bars: each symbol's close walks by up to ±15% a day, its open a gap of up to ±5% from the last close. */
const randomBars = fc
  .array(fc.array(fc.tuple(fc.integer({ min: -150, max: 150 }), fc.integer({ min: -50, max: 50 })), { minLength: 2, maxLength: 2 }), { minLength: 15, maxLength: 40 })
  .map((days) => {
    const last = [100, 50];
    return days.map((moves, i) => {
      const closes: Record<string, string> = {};
      const opens: Record<string, string> = {};
      moves.forEach(([walk, gap], k) => {
        const prev = last[k] as number;
        opens[`S${k}`] = (prev * (1 + gap / 1000)).toFixed(2);
        last[k] = Math.max(1, prev * (1 + walk / 1000));
        closes[`S${k}`] = (last[k] as number).toFixed(2);
      });
      return slice(day(i), closes, opens);
    });
  });

/** The lowest cash each strategy had at a mark. */
function lowestCash(events: readonly RecordedEvent[]): Map<string, number> {
  const lowest = new Map<string, number>();
  for (const m of ofType(events, 'BarMarked')) {
    for (const [id, cash] of Object.entries(m.data.strategyCash)) lowest.set(id, Math.min(lowest.get(id) ?? Infinity, Number(cash)));
  }
  return lowest;
}

describe('long-only built-ins never hold a negative quantity, nor spend cash they do not have', () => {
  for (const fillAt of ['close', 'next-open'] as const) {
    it(`over random bars with gaps at the open, fill mode ${fillAt}, with and without rebalancing`, async () => {
      await fc.assert(
        fc.asyncProperty(randomBars, fc.boolean(), async (bars, rebalanced) => {
          const events = await run(longOnlyConfig(fillAt, rebalanced), bars);
          for (const [id, q] of lowestHoldings(events)) expect(q, `${id} went short`).toBeGreaterThanOrEqual(0);
          for (const [id, cash] of lowestCash(events)) expect(cash, `${id}'s cash went below zero`).toBeGreaterThanOrEqual(0);
        }),
        { numRuns: 25, seed: fillAt === 'close' ? 11 : 12 },
      );
    });
  }
});

describe('the same strategy trades alike under close and next-open', () => {
  it('trend-following on a generated market: fill counts within a fifth of each other', async () => {
    const fills: Record<FillAt, number> = { close: 0, 'next-open': 0 };
    for (const fillAt of ['close', 'next-open'] as const) {
      const config = testConfig({
        capital: '1000000',
        strategies: [{ id: 'tf', kind: 'trend-following', allocation: '1', params: { fast: 5, slow: 20 } }],
        execution: { fillAt, commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
      });
      const events = await run(config, syntheticMarket({ seed: 3, symbols: 5, bars: 300, start: '2022-01-03' }));
      fills[fillAt] = ofType(events, 'FillRecorded').length;
      expect(Math.min(...lowestHoldings(events).values())).toBeGreaterThanOrEqual(0);
    }
    expect(fills.close).toBeGreaterThan(20);
    expect(fills['next-open'] / fills.close).toBeGreaterThan(0.8);
    expect(fills['next-open'] / fills.close).toBeLessThan(1.25);
  });
});

describe('the context of a next-open strategy', () => {
  const config = testConfig({ strategies: [{ id: 's', kind: 'probe', allocation: '1' }], execution: { fillAt: 'next-open' } });
  const bars = [slice(day(0), { A: '10' }), slice(day(1), { A: '10' }, { A: '10' }), slice(day(2), { A: '10' }, { A: '10' })];

  it('shows the waiting order, and orderTargetPercent does not order it again', async () => {
    const seen: string[] = [];
    const probe = scripted('probe', (ctx) => {
      seen.push(`${ctx.barIndex}: held ${ctx.ledger.quantity('A').toString()}, waiting ${ctx.pendingOrders.map((o) => `${o.symbol} ${o.quantity.toString()}`).join(',') || '-'}, expected ${ctx.expectedQuantity('A').toString()}`);
      ctx.orderTargetPercent('A', '0.5');
    });
    const events = await run(config, bars, probe);
    expect(seen).toEqual(['0: held 0, waiting -, expected 0', '1: held 0, waiting A 5000, expected 5000', '2: held 5000, waiting -, expected 5000']);
    expect(ofType(events, 'OrderPlaced').map((e) => e.data.quantity)).toEqual(['5000']);
  });

  it('a buy sized at a close that gaps up at the open fills what the cash covers; the rest is cancelled, saying why', async () => {
    const gap = [slice(day(0), { A: '10' }), slice(day(1), { A: '12' }, { A: '12.5' }), slice(day(2), { A: '12' }, { A: '12' })];
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex === 0) ctx.orderTargetPercent('A', '1');
    });
    const events = await run(config, gap, probe);
    const placed = ofType(events, 'OrderPlaced').map((e) => e.data.quantity);
    const filled = ofType(events, 'FillRecorded').map((e) => `${e.data.quantity} @ ${e.data.price}`);
    // 100,000 at the close of 10 orders 10,000; at the open of 12.5 the cash covers 8,000.
    expect(placed).toEqual(['10000']);
    expect(filled).toEqual(['8000 @ 12.5']);
    expect(ofType(events, 'OrderRejected').map((e) => `${e.data.orderId} ${e.data.quantity}: ${e.data.reason}`)).toEqual([
      'o0-s-0 2000: not enough cash at the open of 12.5: 8000 of 10000 fill, the rest is cancelled',
    ]);
    expect(Math.min(...lowestCash(events).values())).toBe(0);
  });

  it('orders placed on consecutive bars against the same cash: the second fills what the first left', async () => {
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex < 2) ctx.order('A', 6000);
    });
    // An exposure buffer wide enough for both orders, so that only cash bounds the second.
    const leveraged = testConfig({ strategies: [{ id: 's', kind: 'probe', allocation: '1' }], execution: { fillAt: 'next-open' }, risk: { exposureBuffer: 1 } });
    const events = await run(leveraged, bars, probe);
    // Each was placed against 100,000 (the first had not filled when the second was placed); 60,000 + 40,000 is all.
    expect(ofType(events, 'OrderPlaced').map((e) => e.data.quantity)).toEqual(['6000', '6000']);
    expect(ofType(events, 'FillRecorded').map((e) => e.data.quantity)).toEqual(['6000', '4000']);
    expect(ofType(events, 'OrderRejected').map((e) => e.data.reason)).toEqual(['not enough cash at the open of 10: 4000 of 6000 fill, the rest is cancelled']);
    expect(Math.min(...lowestCash(events).values())).toBe(0);
  });

  it('the exposure limit counts the orders still waiting: short sales on consecutive bars stop at the limit', async () => {
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex < 2) ctx.order('A', -9000);
    });
    const events = await run(config, bars, probe);
    // The first short (90,000 of a 100,000 value) waits for its open when the second is placed: only 1,000 more fits.
    expect(ofType(events, 'OrderPlaced').map((e) => `${e.data.quantity} of ${e.data.requestedQuantity ?? e.data.quantity}`)).toEqual(['-9000 of -9000', '-1000 of -9000']);
    expect(ofType(events, 'FillRecorded').map((e) => e.data.quantity)).toEqual(['-9000', '-1000']);
  });

  it('order() stays literal: it orders again while the first order waits', async () => {
    const probe = scripted('probe', (ctx) => ctx.order('A', 10));
    const events = await run(config, bars, probe);
    expect(ofType(events, 'OrderPlaced').map((e) => e.data.quantity)).toEqual(['10', '10', '10']);
  });
});

describe('a next-open order is good for the next slice only', () => {
  const config = testConfig({ strategies: [{ id: 's', kind: 'probe', allocation: '1' }], execution: { fillAt: 'next-open' } });

  it('expires at the first slice without its symbol: the strategy no longer sees it, exposure no longer counts it, cash is untouched', async () => {
    // A stops trading after day 0; B trades throughout.
    const bars = [slice(day(0), { A: '10', B: '10' }), slice(day(1), { B: '10' }, { B: '10' }), slice(day(2), { B: '10' }, { B: '10' })];
    const seen: string[] = [];
    const probe = scripted('probe', (ctx) => {
      seen.push(`${ctx.barIndex}: waiting ${ctx.pendingOrders.map((o) => `${o.symbol} ${o.quantity.toString()}`).join(',') || '-'}`);
      if (ctx.barIndex === 0) ctx.order('A', -9000);
      if (ctx.barIndex === 1) ctx.order('B', -9000);
    });
    const events = await run(config, bars, probe);
    expect(ofType(events, 'OrderRejected').map((e) => [e.metadata.barTime, e.data.orderId, e.data.quantity, e.data.reason])).toEqual([
      [day(1), 'o0-s-0', '-9000', `expired: A has no bar at the open of ${day(1)}, where this order was to fill`],
    ]);
    expect(seen).toEqual(['0: waiting -', '1: waiting -', '2: waiting B -9000']);
    // With A's short still counted, only 1,000 more of the 100,000 value would have fitted.
    expect(ofType(events, 'OrderPlaced').map((e) => `${e.data.symbol} ${e.data.quantity}`)).toEqual(['A -9000', 'B -9000']);
    expect(ofType(events, 'FillRecorded').map((e) => `${e.metadata.barTime} ${e.data.symbol} ${e.data.quantity}`)).toEqual([`${day(2)} B -9000`]);
    expect(ofType(events, 'BarMarked').map((e) => e.data.strategyCash['s'])).toEqual(['100000', '100000', '190000']);
  });

  it('expires even when its symbol trades again later', async () => {
    const bars = [slice(day(0), { A: '10' }), slice(day(1), { B: '10' }), slice(day(2), { A: '10', B: '10' }), slice(day(3), { A: '10', B: '10' })];
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex === 0) ctx.order('A', 100);
    });
    const events = await run(config, bars, probe);
    expect(ofType(events, 'OrderRejected').map((e) => [e.metadata.barTime, e.data.symbol])).toEqual([[day(1), 'A']]);
    expect(ofType(events, 'FillRecorded')).toEqual([]);
  });

  it('of a strategy paused by a command is cancelled at the open it was to fill at, not filled', async () => {
    const bars = [slice(day(0), { A: '10' }), slice(day(1), { A: '10' }, { A: '10' }), slice(day(2), { A: '10' }, { A: '10' })];
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex === 0) ctx.order('A', 100);
    });
    const events = await runSlices(config, bars, { probe: () => probe }, (p, i) => {
      if (i === 1) p.pauseStrategy('s', 'by hand');
    });
    expect(ofType(events, 'OrderRejected').map((e) => [e.metadata.barTime, e.data.quantity, e.data.reason])).toEqual([
      [day(1), '100', 'cancelled at the open: the strategy is paused'],
    ]);
    expect(ofType(events, 'FillRecorded')).toEqual([]);
    expect(ofType(events, 'BarMarked').map((e) => e.data.strategyCash['s'])).toEqual(['100000', '100000', '100000']);
  });

  it('of a strategy the drawdown limit paused on the bar it ordered is cancelled at the next open', async () => {
    // s buys 5,000 A at 10 (day 0), filled at day 1's open of 10; A closes day 1 at 7: value 85,000, 15% below its peak,
    // beyond the 10% limit, so s is paused at day 1's close, after ordering 1,000 more A.
    const bars = [slice(day(0), { A: '10' }), slice(day(1), { A: '7' }, { A: '10' }), slice(day(2), { A: '7' }, { A: '7' })];
    const probe = scripted('probe', (ctx) => {
      if (ctx.barIndex === 0) ctx.order('A', 5000);
      if (ctx.barIndex === 1) ctx.order('A', 1000);
    });
    const limited = testConfig({ strategies: [{ id: 's', kind: 'probe', allocation: '1' }], execution: { fillAt: 'next-open' }, risk: { maxDrawdown: 0.1 } });
    const events = await run(limited, bars, probe);
    expect(ofType(events, 'StrategyLifecycleChanged').filter((e) => e.data.to === 'paused').map((e) => e.metadata.barTime)).toEqual([day(1)]);
    expect(ofType(events, 'FillRecorded').map((e) => `${e.metadata.barTime} ${e.data.quantity}`)).toEqual([`${day(1)} 5000`]);
    expect(ofType(events, 'OrderRejected').map((e) => [e.metadata.barTime, e.data.quantity, e.data.reason])).toEqual([
      [day(2), '1000', 'cancelled at the open: the strategy is paused'],
    ]);
  });
});
