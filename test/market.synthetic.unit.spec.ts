// The seeded synthetic market: determinism, business-day calendar, valid OHLCV, and the configured correlation and volatility.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidNumberError } from '../src/errors.js';
import type { BarSlice } from '../src/market/bar.js';
import { centsText, roundToCents } from '../src/market/centRounding.js';
import { SeededRandom, syntheticMarket, syntheticSlices, type SyntheticMarketOptions } from '../src/market/index.js';
import { Dec, dec, decFromStatistic } from '../src/money/decimal.js';
import { collect } from './fixtures/market/barFiles.js';

const closes = (slices: readonly BarSlice[], symbol: string): number[] => slices.map((s) => Number(s.bars[symbol]?.close));
const logReturns = (xs: readonly number[]): number[] => xs.slice(1).map((x, i) => Math.log(x / (xs[i] ?? x)));
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleSd = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
const correlation = (a: readonly number[], b: readonly number[]): number => {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? mb;
    sab += (x - ma) * (y - mb);
    saa += (x - ma) ** 2;
    sbb += (y - mb) ** 2;
  });
  return sab / Math.sqrt(saa * sbb);
};

describe('determinism', () => {
  const options: SyntheticMarketOptions = { seed: 42, symbols: 4, bars: 120 };

  it('gives identical slices for the same seed, through both the async and the sync interface', async () => {
    const a = await collect(syntheticMarket(options));
    const b = [...syntheticSlices(options)];
    expect(a).toHaveLength(120);
    expect(a).toEqual(b);
  });

  it('gives different prices for a different seed', () => {
    const a = [...syntheticSlices(options)];
    const b = [...syntheticSlices({ ...options, seed: 43 })];
    expect(a.map((s) => s.time)).toEqual(b.map((s) => s.time));
    expect(closes(a, 'SYN01')).not.toEqual(closes(b, 'SYN01'));
  });

  it('seeds the PRNG reproducibly (seed 0 included) with uniforms in [0, 1)', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 1000 }, () => r.uniform());
    };
    expect(draw(0)).toEqual(draw(0));
    expect(draw(0)).not.toEqual(draw(1));
    for (const u of draw(7)) expect(u >= 0 && u < 1).toBe(true);
    const r = new SeededRandom(3);
    const z = Array.from({ length: 20_000 }, () => r.normal());
    expect(Math.abs(mean(z))).toBeLessThan(0.03);
    expect(Math.abs(sampleSd(z) - 1)).toBeLessThan(0.03);
  });
});

describe('calendar and bar shape', () => {
  it('starts on the first business day on or after the start and skips weekends', () => {
    // 2022-01-01 is a Saturday.
    const slices = [...syntheticSlices({ seed: 1, symbols: ['B', 'A'], start: '2022-01-01', bars: 7 })];
    expect(slices.map((s) => s.time.slice(0, 10))).toEqual([
      '2022-01-03',
      '2022-01-04',
      '2022-01-05',
      '2022-01-06',
      '2022-01-07',
      '2022-01-10',
      '2022-01-11',
    ]);
    expect(Object.keys(slices[0]?.bars ?? {})).toEqual(['A', 'B']);
  });

  it('names counted symbols SYN01… and gives every symbol a bar in every slice', () => {
    const slices = [...syntheticSlices({ seed: 1, symbols: 3, bars: 5 })];
    for (const s of slices) expect(Object.keys(s.bars)).toEqual(['SYN01', 'SYN02', 'SYN03']);
  });

  it('keeps every bar valid: cents, positive prices, low ≤ open, close ≤ high, positive integer volume, open near the previous close', () => {
    const slices = [
      ...syntheticSlices({ seed: 9, symbols: 5, bars: 1500, volatility: 0.6, regimes: { turbulent: { drift: -1, volatility: 1.5 } } }),
    ];
    const previous = new Map<string, Dec>();
    for (const s of slices) {
      for (const b of Object.values(s.bars)) {
        const [o, h, l, c] = [b.open, b.high, b.low, b.close].map((x) => {
          expect(x).toMatch(/^\d+(\.\d{1,2})?$/);
          return dec(x);
        }) as [Dec, Dec, Dec, Dec];
        expect(l.gt(0)).toBe(true);
        expect(l.lte(Dec.min(o, c))).toBe(true);
        expect(h.gte(Dec.max(o, c))).toBe(true);
        expect(b.volume).toMatch(/^[1-9]\d*$/);
        const prev = previous.get(b.symbol);
        // Overnight gaps are a quarter of a day's volatility: far inside ±30% even at 150% annual volatility.
        if (prev !== undefined && prev.gt(1)) expect(Math.abs(Math.log(o.div(prev).toNumber()))).toBeLessThan(0.3);
        previous.set(b.symbol, c);
      }
    }
  });
});

describe('statistics', () => {
  it('realises the configured correlation of daily log returns (one-factor model)', () => {
    for (const [rho, regimes] of [
      [0.6, false],
      [0.6, undefined],
      [0, false],
    ] as const) {
      const slices = [...syntheticSlices({ seed: 5, symbols: 3, bars: 6000, correlation: rho, regimes })];
      const r = ['SYN01', 'SYN02', 'SYN03'].map((s) => logReturns(closes(slices, s)));
      for (const [i, j] of [
        [0, 1],
        [0, 2],
        [1, 2],
      ] as const) {
        // Standard error of a correlation over 6,000 returns is about (1 − ρ²)/√n ≤ 0.013.
        expect(Math.abs(correlation(r[i] ?? [], r[j] ?? []) - rho)).toBeLessThan(0.05);
      }
    }
  });

  it('realises the configured annualised volatility, and the turbulent regime raises it', () => {
    const base = { seed: 8, symbols: 1, bars: 5000, volatility: 0.1, dispersion: 0 } as const;
    const calm = logReturns(closes([...syntheticSlices({ ...base, regimes: false })], 'SYN01'));
    expect(sampleSd(calm) * Math.sqrt(252)).toBeCloseTo(0.1, 1);
    expect(Math.abs(sampleSd(calm) * Math.sqrt(252) - 0.1)).toBeLessThan(0.005);
    // Half the time at 50%: √(0.5·0.1² + 0.5·0.5²) ≈ 0.36.
    const mixed = logReturns(
      closes([...syntheticSlices({ ...base, regimes: { turbulent: { drift: 0, volatility: 0.5 }, toTurbulent: 0.5, toCalm: 0.5 } })], 'SYN01'),
    );
    expect(Math.abs(sampleSd(mixed) * Math.sqrt(252) - 0.36)).toBeLessThan(0.03);
  });
});

describe('options', () => {
  it.each([
    [{ seed: 1.5 }, 'seed'],
    [{ seed: -1 }, 'seed'],
    [{ seed: 1, correlation: 1.2 }, 'correlation'],
    [{ seed: 1, correlation: -0.1 }, 'correlation'],
    [{ seed: 1, bars: -1 }, 'bars'],
    [{ seed: 1, symbols: 0 }, 'symbols'],
    [{ seed: 1, symbols: ['A', 'A'] }, 'symbols'],
    [{ seed: 1, symbols: [] }, 'symbols'],
    [{ seed: 1, start: '2020-02-31' }, 'start'],
    [{ seed: 1, volatility: -0.1 }, 'volatility'],
    [{ seed: 1, drift: Number.NaN }, 'drift'],
    [{ seed: 1, dispersion: 1 }, 'dispersion'],
    [{ seed: 1, initialPrice: '1e2' }, 'initialPrice'],
    [{ seed: 1, regimes: { toCalm: 2 } }, 'regimes.toCalm'],
    [{ seed: 1, meanVolume: 0 }, 'meanVolume'],
  ] as [SyntheticMarketOptions, string][])('rejects %j as a ConfigError on %s', (options, field) => {
    let caught: unknown;
    try {
      syntheticMarket(options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(field);
  });
});

describe('cent rounding', () => {
  it('rounds half to even on the shortest decimal text', () => {
    expect(roundToCents(0.125)).toBe(12);
    expect(roundToCents(0.135)).toBe(14);
    expect(roundToCents(2.675)).toBe(268);
    expect(roundToCents(100)).toBe(10000);
    expect(roundToCents(1e-7)).toBe(0);
    expect([12345, 12340, 12300, 5, 0].map(centsText)).toEqual(['123.45', '123.4', '123', '0.05', '0']);
    expect(() => roundToCents(Number.POSITIVE_INFINITY)).toThrow(InvalidNumberError);
    expect(() => roundToCents(-1)).toThrow(InvalidNumberError);
  });

  it('agrees with Decimal ROUND_HALF_EVEN for any positive price', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 8.99e13, noNaN: true, noDefaultInfinity: true }), (price) => {
        const viaDec = decFromStatistic(price).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
        expect(centsText(roundToCents(price))).toBe(viaDec.isZero() ? '0' : viaDec.toString());
      }),
      { numRuns: 2000 },
    );
  });
});
