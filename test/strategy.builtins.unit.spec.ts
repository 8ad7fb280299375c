import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { createBuyAndHoldStrategy } from '../src/strategy/builtins/buyAndHold.js';
import { createMeanReversionStrategy } from '../src/strategy/builtins/meanReversion.js';
import { createMomentumStrategy } from '../src/strategy/builtins/momentum.js';
import { createTrendFollowingStrategy } from '../src/strategy/builtins/trendFollowing.js';
import type { StrategyParams } from '../src/strategy/strategy.js';
import { simulateBars, type ClosePath } from './fixtures/strategies/simulateBars.js';

const single = (closes: readonly number[]): ClosePath => closes.map((c) => ({ AAA: String(c) }));

describe('buy-and-hold', () => {
  it('without symbols: buys equal weights of every symbol on its first bar, then holds', () => {
    const path: ClosePath = [{ AAA: '100', BBB: '50' }, { AAA: '110', BBB: '40' }, { AAA: '120', BBB: '60', CCC: '10' }];
    // 10000 / 2 = 5000: 5000 / 100 = 50 AAA, 5000 / 50 = 100 BBB; nothing afterwards, not even for the new CCC.
    expect(simulateBars(createBuyAndHoldStrategy(), path).orders).toEqual([{ bar: 0, orders: { AAA: '50', BBB: '100' } }]);
  });

  it('with symbols: buys each listed symbol on the first bar it trades, at 1/N of the value then', () => {
    const path: ClosePath = [{ BBB: '50', ZZZ: '1' }, { AAA: '100', BBB: '40' }, { AAA: '90', BBB: '45' }];
    // Bar 0: 10000 / 2 / 50 = 100 BBB (cash 5000). Bar 1: value 5000 + 100 × 40 = 9000; 4500 / 100 = 45 AAA.
    expect(simulateBars(createBuyAndHoldStrategy({ symbols: ['BBB', 'AAA'] }), path).orders).toEqual([
      { bar: 0, orders: { BBB: '100' } },
      { bar: 1, orders: { AAA: '45' } },
    ]);
  });
});

describe('momentum', () => {
  const path: ClosePath = [
    { AAA: '100', BBB: '100', CCC: '100' },
    { AAA: '110', BBB: '100', CCC: '90' },
    { AAA: '120', BBB: '105', CCC: '80' },
    { AAA: '118', BBB: '115', CCC: '85' },
    { AAA: '115', BBB: '130', CCC: '90' },
  ];

  it('holds the top symbol by lookback return and rotates on the rebalance schedule', () => {
    // Bar 0: too little history. Bar 2: returns A +20%, B +5%, C −20% → 10000 / 120 = 83 AAA (cash 40).
    // Bar 3: off schedule. Bar 4: returns since bar 2: A −4.2%, B +23.8%, C +12.5% → sell 83 AAA;
    // value 40 + 83 × 115 = 9585 → 9585 / 130 = 73 BBB.
    const strategy = createMomentumStrategy({ lookback: 2, topN: 1, rebalanceEvery: 2 });
    expect(simulateBars(strategy, path).orders).toEqual([
      { bar: 2, orders: { AAA: '83' } },
      { bar: 4, orders: { AAA: '-83', BBB: '73' } },
    ]);
  });

  it('splits equally between the top N', () => {
    // Bar 2: top 2 are AAA and BBB at 5000 each: 5000 / 120 = 41, 5000 / 105 = 47.
    const orders = simulateBars(createMomentumStrategy({ lookback: 2, topN: 2, rebalanceEvery: 2 }), path.slice(0, 3)).orders;
    expect(orders).toEqual([{ bar: 2, orders: { AAA: '41', BBB: '47' } }]);
  });

  it('ranks only the listed symbols when `symbols` is given', () => {
    const orders = simulateBars(createMomentumStrategy({ lookback: 2, topN: 1, rebalanceEvery: 2, symbols: ['BBB', 'CCC'] }), path.slice(0, 3)).orders;
    expect(orders).toEqual([{ bar: 2, orders: { BBB: '95' } }]); // 10000 / 105 = 95.2
  });
});

describe('mean reversion', () => {
  // Window of 3 closes, entry |z| > 1, exit within 0.5:
  // bar 2 [100,100,100] z = 0; bar 3 [100,100,90] z = −1.155 → long; bar 4 [100,90,88] z = −0.726 → hold;
  // bar 5 [90,88,95] z = +1.109 → exit (or flip short); bar 6 [88,95,93] z = +0.277.
  const path = single([100, 100, 100, 90, 88, 95, 93]);
  const params = { lookback: 3, entryZ: 1, exitZ: 0.5, positionSize: 0.5 };

  it('enters long below −entryZ, holds while z stays below −exitZ, exits once it reverts', () => {
    // Bar 3: 0.5 × 10000 / 90 = 55.5 → 55; bar 5: back to flat.
    expect(simulateBars(createMeanReversionStrategy(params), path).orders).toEqual([
      { bar: 3, orders: { AAA: '55' } },
      { bar: 5, orders: { AAA: '-55' } },
    ]);
  });

  it('with allowShort: flips short above +entryZ and covers once z is back within exitZ', () => {
    // Bar 5: value 5050 + 55 × 95 = 10275; −0.5 × 10275 / 95 = −54.07 → −54, from +55 → −109. Bar 6: z 0.277 < 0.5 → +54.
    expect(simulateBars(createMeanReversionStrategy({ ...params, allowShort: true }), path).orders).toEqual([
      { bar: 3, orders: { AAA: '55' } },
      { bar: 5, orders: { AAA: '-109' } },
      { bar: 6, orders: { AAA: '54' } },
    ]);
  });
});

describe('trend following', () => {
  // fast = 2, slow = 3: bar 2 [10,10,10] equal → flat; bar 3 [10,10,13] 11.5 > 11 → long;
  // bar 4 [10,13,12] 12.5 > 11.67 → hold; bar 5 [13,12,9] 10.5 < 11.33 → flat/short; bar 6 [12,9,8] still below.
  const path = single([10, 10, 10, 13, 12, 9, 8]);

  it('goes long when the fast mean crosses above the slow one and flat when it crosses below', () => {
    // One symbol, default size 1/1: 10000 / 13 = 769.2 → 769.
    expect(simulateBars(createTrendFollowingStrategy({ fast: 2, slow: 3 }), path).orders).toEqual([
      { bar: 3, orders: { AAA: '769' } },
      { bar: 5, orders: { AAA: '-769' } },
    ]);
  });

  it('with allowShort: reverses to short below, and re-sizes a held side only beyond its tolerance', () => {
    // Bar 3: 5000 / 13 = 384 (cash 5008). Bar 5: value 5008 + 384 × 9 = 8464; −4232 / 9 = −470 → from 384: −854.
    // Bar 6: cash 12694, value 12694 − 470 × 8 = 8934; the short (−3760) is 707 from its target −4467 (more than
    // 10% of it): −4467 / 8 = −558 → −88. With a tolerance of 1 it holds.
    const params = { fast: 2, slow: 3, allowShort: true, positionSize: '0.5' };
    expect(simulateBars(createTrendFollowingStrategy(params), path).orders).toEqual([
      { bar: 3, orders: { AAA: '384' } },
      { bar: 5, orders: { AAA: '-854' } },
      { bar: 6, orders: { AAA: '-88' } },
    ]);
    expect(simulateBars(createTrendFollowingStrategy({ ...params, resizeTolerance: 1 }), path).orders).toEqual([
      { bar: 3, orders: { AAA: '384' } },
      { bar: 5, orders: { AAA: '-854' } },
    ]);
  });
});

describe('built-ins keep no state between calls', () => {
  const path: ClosePath = [100, 100, 100, 90, 88, 95, 93, 97, 101, 99].map((c, i) => ({ AAA: String(c), BBB: String(200 - c + i) }));
  const strategies = [
    createBuyAndHoldStrategy(),
    createMomentumStrategy({ lookback: 2, topN: 1, rebalanceEvery: 2 }),
    createMeanReversionStrategy({ lookback: 3, entryZ: 1, exitZ: 0.5, allowShort: true }),
    createTrendFollowingStrategy({ fast: 2, slow: 3, allowShort: true }),
  ];
  it.each(strategies.map((s) => [s.name, s] as const))('%s gives the same orders when one instance runs the path twice', (_name, strategy) => {
    const first = simulateBars(strategy, path).orders;
    expect(first.length).toBeGreaterThan(0);
    expect(simulateBars(strategy, path).orders).toEqual(first);
  });
});

describe('parameter validation', () => {
  const cases: [string, (p: StrategyParams) => unknown, StrategyParams, string][] = [
    ['buy-and-hold', createBuyAndHoldStrategy, { symbols: 'AAA' }, 'symbols'],
    ['buy-and-hold', createBuyAndHoldStrategy, { symbols: ['AAA', 'AAA'] }, 'symbols'],
    ['buy-and-hold', createBuyAndHoldStrategy, { symbol: ['AAA'] }, 'symbol'],
    ['momentum', createMomentumStrategy, { lookback: 0 }, 'lookback'],
    ['momentum', createMomentumStrategy, { topN: 1.5 }, 'topN'],
    ['momentum', createMomentumStrategy, { rebalanceEvery: '5' }, 'rebalanceEvery'],
    ['momentum', createMomentumStrategy, { symbols: [] }, 'symbols'],
    ['momentum', createMomentumStrategy, { lookbak: 5 }, 'lookbak'],
    ['mean-reversion', createMeanReversionStrategy, { lookback: 1 }, 'lookback'],
    ['mean-reversion', createMeanReversionStrategy, { entryZ: 0 }, 'entryZ'],
    ['mean-reversion', createMeanReversionStrategy, { entryZ: 1, exitZ: 1 }, 'exitZ'],
    ['mean-reversion', createMeanReversionStrategy, { exitZ: Number.NaN }, 'exitZ'],
    ['mean-reversion', createMeanReversionStrategy, { positionSize: 1.5 }, 'positionSize'],
    ['mean-reversion', createMeanReversionStrategy, { positionSize: 'half' }, 'positionSize'],
    ['mean-reversion', createMeanReversionStrategy, { allowShort: 'yes' }, 'allowShort'],
    ['trend-following', createTrendFollowingStrategy, { fast: 5, slow: 5 }, 'slow'],
    ['trend-following', createTrendFollowingStrategy, { fast: 0 }, 'fast'],
    ['trend-following', createTrendFollowingStrategy, { positionSize: 0 }, 'positionSize'],
  ];
  it.each(cases)('%s rejects %j with a ConfigError naming %s', (kind, factory, params, field) => {
    let error: unknown;
    try {
      factory(params);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toContain(kind);
    expect((error as ConfigError).message).toContain(`"${field}"`);
  });

  it('rejects params that are not an object', () => {
    expect(() => createMomentumStrategy([] as unknown as StrategyParams)).toThrow(/momentum: params must be an object/);
  });

  it('applies the documented defaults', () => {
    expect(createMomentumStrategy().historyLength).toBe(21);
    expect(createMeanReversionStrategy().historyLength).toBe(20);
    expect(createTrendFollowingStrategy().historyLength).toBe(30);
    expect(createBuyAndHoldStrategy().historyLength).toBe(1);
  });

  it('fails with a ConfigError when the engine keeps fewer closes than the strategy needs', () => {
    expect(() => simulateBars(createMomentumStrategy({ lookback: 10 }), single([1, 2]), '10000', 5)).toThrow(/needs 11 closes per symbol but the price history keeps 5/);
  });
});
