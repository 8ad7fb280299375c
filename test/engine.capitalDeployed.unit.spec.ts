// Allocated capital is deployed: a strategy learns from its context that capital moved, and the built-ins invest it.
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../events/envelope.js';
import { syntheticMarket } from '../src/market/syntheticMarket.js';
import { averageCashFraction, cashFractionProjection } from '../projections/cashFraction.js';
import { day, ofType, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const cashFraction = (mark: RecordedEvent | undefined, id: string): number => {
  if (mark?.type !== 'BarMarked') throw new Error('not a mark');
  return Number(mark.data.strategyCash[id]) / Number(mark.data.strategyValues[id]);
};

describe('ctx.capitalMoved', () => {
  it('reports the initial allocation on the first call and a rebalance transfer on the call after it, zero otherwise', async () => {
    const seen: string[] = [];
    const probe = scripted('probe', (ctx) => seen.push(ctx.capitalMoved.toString()));
    const config = testConfig({ capital: '100000', strategies: [{ id: 'a', kind: 'probe', allocation: '0.5' }, { id: 'b', kind: 'buy-and-hold', allocation: '0.3' }] });
    const bars = [0, 1, 2, 3].map((i) => slice(day(i), { A: '10' }));
    await runSlices(config, bars, { probe: () => probe }, (p, i) => {
      if (i === 1) p.rebalance({ a: 0.6, b: 0.3 });
    });
    expect(seen).toEqual(['50000', '0', '10000', '0']);
  });
});

describe('the built-ins invest capital that moves in', () => {
  const bars = [0, 1, 2, 3, 4].map((i) => slice(day(i), { A: String(10 + i), B: String(20 + i) }));

  it('buy-and-hold spreads new cash across its holdings', async () => {
    const config = testConfig({ capital: '100000', strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.3' }] });
    const events = await runSlices(config, bars, {}, (p, i) => {
      if (i === 2) p.rebalance({ bh: 0.9 });
    });
    const marks = ofType(events, 'BarMarked');
    expect(cashFraction(marks[2], 'bh')).toBeGreaterThan(0.6); // the transfer arrives at the end of slice 2
    expect(cashFraction(marks[3], 'bh')).toBeLessThan(0.01);
    expect(cashFraction(marks[4], 'bh')).toBeLessThan(0.01);
  });

  it('trend-following keeps each position at positionSize of its current value', async () => {
    // A and B rise every day: both are wanted long at 0.45 of the strategy's value.
    const rising = Array.from({ length: 12 }, (_, i) => slice(day(i), { A: String(10 + i), B: String(20 + 2 * i) }));
    const config = testConfig({ capital: '100000', strategies: [{ id: 'tf', kind: 'trend-following', allocation: '0.3', params: { fast: 2, slow: 4, positionSize: '0.45' } }] });
    const events = await runSlices(config, rising, {}, (p, i) => {
      if (i === 7) p.rebalance({ tf: 0.9 });
    });
    const last = ofType(events, 'BarMarked').at(-1);
    const value = Number(last?.data.strategyValues['tf']);
    expect(value).toBeGreaterThan(80_000);
    expect(cashFraction(last, 'tf')).toBeLessThan(0.12);
    const held = new Map<string, number>();
    for (const f of ofType(events, 'FillRecorded')) held.set(f.data.symbol, (held.get(f.data.symbol) ?? 0) + Number(f.data.quantity));
    for (const [symbol, q] of held) {
      const worth = q * Number(last?.data.marks[symbol]);
      expect(Math.abs(worth / value - 0.45), symbol).toBeLessThan(0.45 * 0.1 + 0.01);
    }
  });
});

describe('mean-reversion keeps a held position at positionSize of its current value', () => {
  // lookback 3, entry 1, exit 0.5: long from slice 3 (z −1.15), held while z stays below −0.5 through slice 7.
  const bars = [100, 100, 100, 90, 88, 87, 86, 85].map((c, i) => slice(day(i), { A: String(c) }));
  const heldShare = (events: readonly RecordedEvent[], at: number): number => {
    const marks = ofType(events, 'BarMarked');
    const mark = marks[at];
    const q = ofType(events, 'FillRecorded')
      .filter((f) => f.position < (mark?.position ?? 0))
      .reduce((t, f) => t + Number(f.data.quantity), 0);
    return (q * Number(mark?.data.marks['A'])) / Number(mark?.data.strategyValues['mr']);
  };
  const config = testConfig({ capital: '100000', strategies: [{ id: 'mr', kind: 'mean-reversion', allocation: '0.3', params: { lookback: 3, entryZ: 1, exitZ: 0.5, positionSize: '0.5' } }] });

  it('re-sizes on the call after capital moved in, whatever its tolerance', async () => {
    const wide = testConfig({ ...config, strategies: [{ id: 'mr', kind: 'mean-reversion', allocation: '0.3', params: { lookback: 3, entryZ: 1, exitZ: 0.5, positionSize: '0.5', resizeTolerance: 10 } }] });
    const events = await runSlices(wide, bars, {}, (p, i) => {
      if (i === 4) p.rebalance({ mr: 0.9 }); // moved at the end of slice 4: the strategy sees it at slice 5
    });
    expect(heldShare(events, 4)).toBeLessThan(0.25);
    expect(Math.abs(heldShare(events, 5) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(heldShare(events, 7) - 0.5)).toBeLessThan(0.05);
  });

  it('without a capital move or drift beyond its tolerance it leaves the position alone', async () => {
    const events = await runSlices(config, bars);
    expect(ofType(events, 'FillRecorded').map((f) => f.metadata.barTime)).toEqual([day(3)]);
  });
});

describe('a rebalanced four-sleeve portfolio', () => {
  it('keeps buy-and-hold and momentum mostly invested (average cash under a tenth of their value)', async () => {
    const config = testConfig({
      capital: '1000000',
      strategies: [
        { id: 'bh', kind: 'buy-and-hold', allocation: '0.2' },
        { id: 'mom', kind: 'momentum', allocation: '0.25', params: { lookback: 20, topN: 2, rebalanceEvery: 10 } },
        { id: 'mr', kind: 'mean-reversion', allocation: '0.25', params: { lookback: 10, entryZ: 1, exitZ: 0.2 } },
        { id: 'tf', kind: 'trend-following', allocation: '0.2', params: { fast: 5, slow: 20 } },
      ],
      execution: { commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
      rebalancing: { algorithm: 'risk-parity', params: { method: 'equal-risk-contribution', lookback: 40 }, constraints: { defaultMin: 0.05, defaultMax: 0.5, maxTotal: 0.95 }, frequency: 'monthly', driftThreshold: 0.05 },
      lookback: 60,
    });
    const events = await runSlices(config, syntheticMarket({ seed: 7, symbols: 6, bars: 250, start: '2022-01-03' }));
    expect(ofType(events, 'CapitalTransferred').filter((e) => e.data.rebalanceId !== null).length).toBeGreaterThan(4);
    // From the first slice after both have invested (momentum ranks on its 21st slice).
    const marks = ofType(events, 'BarMarked').slice(25);
    for (const id of ['bh', 'mom']) {
      const average = marks.reduce((t, m) => t + cashFraction(m, id), 0) / marks.length;
      expect(average, id).toBeLessThan(0.1);
    }
    // The figure replay prints is the mean over every mark that valued the strategy.
    const folded = events.reduce((st, e) => cashFractionProjection.evolve(st, e), cashFractionProjection.init());
    const all = ofType(events, 'BarMarked');
    expect(averageCashFraction(folded, 'mr')).toBeCloseTo(all.reduce((t, m) => t + cashFraction(m, 'mr'), 0) / all.length, 12);
  });
});
