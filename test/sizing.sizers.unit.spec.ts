import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../src/errors.js';
import { dec, decStr } from '../src/money/decimal.js';
import { BetaSizer, PortfolioWeightSizer, RiskBasedSizer, closeToCloseReturns, estimateBeta } from '../src/sizing/index.js';

const req = (price: string, equity = '100000', stopPrice?: string) => ({
  symbol: 'AAA',
  price: dec(price),
  equity: dec(equity),
  ...(stopPrice === undefined ? {} : { stopPrice: dec(stopPrice) }),
});

describe('RiskBasedSizer', () => {
  const sizer = new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '0.05' });

  it('sizes risk per trade ÷ stop distance, in whole units towards zero', () => {
    expect(decStr(sizer.size(req('50')))).toBe('400'); // 1000 / 2.5
    expect(decStr(sizer.size(req('50', '100000', '48')))).toBe('500'); // 1000 / 2
    expect(decStr(sizer.size(req('33', '100000')))).toBe('606'); // 1000 / 1.65 = 606.06
  });

  it('caps the position at maxPositionWeight of equity', () => {
    expect(decStr(sizer.size(req('50', '100000', '49.99')))).toBe('2000');
    const half = new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '0.001', maxPositionWeight: '0.5' });
    expect(decStr(half.size(req('50')))).toBe('1000');
  });

  it('keeps fractional units when allowed, rounded down to quantityDecimals', () => {
    const frac = new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '0.03', fractional: true, quantityDecimals: 4 });
    expect(decStr(frac.size(req('3', '1000')))).toBe('111.1111');
  });

  it('sizes to zero with no equity and rejects bad prices, stops and parameters', () => {
    expect(decStr(sizer.size(req('50', '0')))).toBe('0');
    expect(() => sizer.size(req('0'))).toThrow(DataError);
    expect(() => sizer.size(req('50', '100000', '50'))).toThrow(DataError);
    expect(() => new RiskBasedSizer({ riskPerTrade: '0.01' }).size(req('50'))).toThrow(/no stopPrice/);
    expect(() => new RiskBasedSizer({ riskPerTrade: '1.5' })).toThrow(ConfigError);
    expect(() => new RiskBasedSizer({ riskPerTrade: '0' })).toThrow(ConfigError);
    expect(() => new RiskBasedSizer({ riskPerTrade: 'abc' })).toThrow(/sizing\.riskPerTrade/);
    expect(() => new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '-0.1' })).toThrow(ConfigError);
  });
});

describe('PortfolioWeightSizer', () => {
  it('sizes weight × equity ÷ price; a symbol without a weight gets 0', () => {
    const sizer = new PortfolioWeightSizer({ weights: { AAA: '0.25' } });
    expect(decStr(sizer.size(req('333')))).toBe('75'); // 25000 / 333 = 75.07
    expect(decStr(sizer.size({ ...req('10'), symbol: 'BBB' }))).toBe('0');
    expect(decStr(new PortfolioWeightSizer({ weights: { AAA: '0.1' }, fractional: true }).size(req('3', '100')))).toBe('3.33333333');
    expect(() => new PortfolioWeightSizer({ weights: { AAA: '1.5' } })).toThrow(/sizing\.weights\.AAA/);
    expect(() => sizer.size(req('-1'))).toThrow(DataError);
  });
});

describe('BetaSizer', () => {
  const base = new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '0.05' });

  it('divides the risk-based size by the clamped beta', () => {
    const sizer = new BetaSizer(base, { betas: { HI: 2, LO: 0.1, NEG: -1, BIG: 5 }, minBeta: 0.5, maxBeta: 2 });
    expect(decStr(sizer.size({ ...req('50'), symbol: 'HI' }))).toBe('200');
    expect(decStr(sizer.size({ ...req('50'), symbol: 'LO' }))).toBe('800');
    expect(decStr(sizer.size({ ...req('50'), symbol: 'NEG' }))).toBe('800');
    expect(decStr(sizer.size({ ...req('50'), symbol: 'BIG' }))).toBe('200');
    expect(decStr(sizer.size({ ...req('50'), symbol: 'UNKNOWN' }))).toBe('400');
  });

  it('rounds once, after dividing (400.8 / 1.5 = 267.2 → 267)', () => {
    const sizer = new BetaSizer(new RiskBasedSizer({ riskPerTrade: '0.01', stopLoss: '0.05' }), { betas: { AAA: 1.5 } });
    expect(decStr(sizer.size(req('49.9')))).toBe('267'); // 1000 / 2.495 = 400.80 → / 1.5 = 267.2
  });

  it('rejects bad clamp settings', () => {
    expect(() => new BetaSizer(base, { betas: {}, minBeta: 0 })).toThrow(ConfigError);
    expect(() => new BetaSizer(base, { betas: {}, minBeta: 1, maxBeta: 0.5 })).toThrow(/sizing\.maxBeta/);
  });

  it('estimates beta from returns aligned on their common tail', () => {
    const bench = [0.01, -0.02, 0.03, 0.005];
    const asset = [0.5, ...bench.map((r) => 2 * r + 0.001)];
    expect(estimateBeta(asset, bench)).toBeCloseTo(2, 12);
    expect(estimateBeta([0.1], [0.2])).toBeNaN();
    expect(estimateBeta([0.1, 0.2], [0.1, 0.1])).toBeNaN();
    expect(Array.from(closeToCloseReturns([100, 110, 99]))).toEqual([expect.closeTo(0.1, 14), expect.closeTo(-0.1, 14)]);
  });
});
