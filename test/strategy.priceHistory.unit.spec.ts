import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, DataError, InvalidNumberError } from '../src/errors.js';
import { decStr } from '../src/money/decimal.js';
import { RollingPriceHistory, requiredHistoryCapacity } from '../src/strategy/priceHistory.js';
import { createMomentumStrategy } from '../src/strategy/builtins/momentum.js';
import { createTrendFollowingStrategy } from '../src/strategy/builtins/trendFollowing.js';
import { sliceOf } from './fixtures/strategies/simulateBars.js';

const time = (i: number): string => sliceOf(i, {}).time;

describe('RollingPriceHistory', () => {
  it('returns closes oldest first and only the last `capacity` of them', () => {
    const h = new RollingPriceHistory(3);
    ['10', '11', '12', '13', '14'].forEach((c, i) => h.pushCloses(time(i), { AAA: c }));
    expect(h.closes('AAA')).toEqual([12, 13, 14]);
    expect(h.closes('AAA', 2)).toEqual([13, 14]);
    expect(h.closes('AAA', 10)).toEqual([12, 13, 14]);
    expect(h.closes('AAA', 0)).toEqual([]);
  });

  it('returns fewer closes than asked while the buffer is filling, and none for an unknown symbol', () => {
    const h = new RollingPriceHistory(5);
    h.pushCloses(time(0), { AAA: '1' });
    h.pushCloses(time(1), { AAA: '2' });
    expect(h.closes('AAA', 4)).toEqual([1, 2]);
    expect(h.closes('ZZZ')).toEqual([]);
    expect(h.lastClose('ZZZ')).toBeUndefined();
  });

  it('keeps the last close exactly as the bar wrote it', () => {
    const h = new RollingPriceHistory(2);
    h.push(sliceOf(0, { AAA: '0.1', BBB: '100.000000000000000001' }));
    expect(decStr(h.lastClose('AAA')!)).toBe('0.1');
    expect(h.lastCloseText('BBB')).toBe('100.000000000000000001');
    expect(decStr(h.lastClose('BBB')!)).toBe('100.000000000000000001');
  });

  it('leaves a symbol absent from a slice unchanged and lists symbols ascending', () => {
    const h = new RollingPriceHistory(4);
    h.push(sliceOf(0, { MMM: '5', BBB: '1' }));
    h.push(sliceOf(1, { BBB: '2' }));
    h.push(sliceOf(2, { AAA: '7', BBB: '3' }));
    expect(h.closes('MMM')).toEqual([5]);
    expect(h.closes('BBB')).toEqual([1, 2, 3]);
    expect(h.symbols()).toEqual(['AAA', 'BBB', 'MMM']);
    expect(decStr(h.lastClose('MMM')!)).toBe('5');
  });

  it('does not grow memory after capacity: slots stay capacity × symbols however many bars are pushed', () => {
    const h = new RollingPriceHistory(8);
    for (let i = 0; i < 1000; i += 1) h.pushCloses(time(i), { AAA: String(i + 1), BBB: String(2 * i + 1) });
    expect(h.allocatedSlots()).toBe(16);
    expect(h.closes('BBB')).toEqual([1985, 1987, 1989, 1991, 1993, 1995, 1997, 1999]);
  });

  it('agrees with "the last n of the whole series" for any series and capacity (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 1, max: 10_000 }), { maxLength: 40 }), fc.nat(15), (capacity, series, n) => {
        const h = new RollingPriceHistory(capacity);
        series.forEach((c, i) => h.pushCloses(time(i), { X: String(c) }));
        const kept = series.slice(Math.max(0, series.length - capacity));
        expect(h.closes('X')).toEqual(kept);
        expect(h.closes('X', n)).toEqual(n === 0 ? [] : kept.slice(Math.max(0, kept.length - n)));
      }),
    );
  });

  it('rebuilds from recorded marks to the same state as pushing the slices', () => {
    const live = new RollingPriceHistory(3);
    const rebuilt = new RollingPriceHistory(3);
    const path: Record<string, string>[] = [{ AAA: '1', BBB: '9' }, { AAA: '2' }, { AAA: '3', BBB: '8' }, { AAA: '4', BBB: '7' }];
    path.forEach((closes, i) => {
      live.push(sliceOf(i, closes));
      rebuilt.pushCloses(time(i), closes);
    });
    for (const s of ['AAA', 'BBB']) expect(rebuilt.closes(s)).toEqual(live.closes(s));
    expect(rebuilt.time()).toBe(live.time());
  });

  it('rejects a non-positive or fractional capacity with a ConfigError', () => {
    expect(() => new RollingPriceHistory(0)).toThrow(ConfigError);
    expect(() => new RollingPriceHistory(2.5)).toThrow(ConfigError);
  });

  it('rejects a slice that is not later than the previous one, and keeps the history unchanged', () => {
    const h = new RollingPriceHistory(3);
    h.pushCloses(time(1), { AAA: '1' });
    expect(() => h.pushCloses(time(1), { AAA: '2' })).toThrow(DataError);
    expect(() => h.pushCloses(time(0), { AAA: '2' })).toThrow(/not later than/);
    expect(h.closes('AAA')).toEqual([1]);
  });

  it('rejects a close that is not a finite decimal, naming symbol and time, without recording any of the slice', () => {
    const h = new RollingPriceHistory(3);
    expect(() => h.pushCloses(time(0), { AAA: '1', BBB: 'abc' })).toThrow(/close of BBB at 2020-01-01/);
    expect(() => h.pushCloses(time(0), { AAA: 'Infinity' })).toThrow(DataError);
    expect(() => h.pushCloses(time(0), { AAA: '0x10' })).toThrow(DataError);
    expect(h.symbols()).toEqual([]);
  });

  it('rejects a negative or fractional n with an InvalidNumberError', () => {
    const h = new RollingPriceHistory(3);
    expect(() => h.closes('AAA', -1)).toThrow(InvalidNumberError);
    expect(() => h.closes('AAA', 1.5)).toThrow(InvalidNumberError);
  });

  it('sizes the shared history from what the strategies declare', () => {
    const strategies = [createMomentumStrategy({ lookback: 60 }), createTrendFollowingStrategy({ fast: 5, slow: 40 }), { name: 'plain', onBar: () => undefined }];
    expect(requiredHistoryCapacity(strategies, 20)).toBe(61);
    expect(requiredHistoryCapacity([], 20)).toBe(20);
  });
});
