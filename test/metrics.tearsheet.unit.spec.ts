import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  alpha,
  bestWorst,
  beta,
  cagr,
  correlation,
  correlationMatrix,
  downsideRisk,
  drawdownPeriods,
  expectedShortfall,
  informationRatio,
  kurtosis,
  longestDrawdownDays,
  omegaRatio,
  periodReturns,
  resolveMetricOptions,
  rollingSharpe,
  rollingVolatility,
  sharpeRatio,
  skew,
  sortinoRatio,
  timeInMarket,
  trackingError,
  turnover,
  underwater,
  valueAtRisk,
} from '../src/index.js';

const day = (d: number): string => new Date(Date.UTC(2024, 0, d)).toISOString();

describe('per-period riskFree and requiredReturn series', () => {
  const r = [0.1, Number.NaN, 0.02, -0.01];
  const rf = [0.01, 0.5, 0.02, 0];

  it('Sharpe subtracts each period its own rate, skipping the rate of a NaN return with it', () => {
    const adjusted = [0.09, 0, -0.01]; // 0.1 − 0.01, 0.02 − 0.02, −0.01 − 0
    const m = (0.09 + 0 - 0.01) / 3;
    const sd = Math.sqrt(adjusted.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
    expect(sharpeRatio(r, { annualization: 1, riskFree: rf })).toBeCloseTo(m / sd, 12);
  });

  it('a constant series gives the same figures as the number', () => {
    const xs = [0.01, -0.02, 0.03, 0.005, -0.001];
    const flat = xs.map(() => 0.001);
    for (const f of [sharpeRatio, sortinoRatio, downsideRisk, omegaRatio]) {
      expect(f(xs, { riskFree: flat, requiredReturn: flat })).toBe(f(xs, { riskFree: 0.001, requiredReturn: 0.001 }));
    }
    const b = [0.02, -0.01, 0.01, 0.0, 0.004];
    expect(beta(xs, b, { riskFree: flat })).toBe(beta(xs, b, { riskFree: 0.001 }));
    expect(alpha(xs, b, { riskFree: flat })).toBe(alpha(xs, b, { riskFree: 0.001 }));
  });

  it('downside risk measures each return against its own required return', () => {
    // excess: 0.1 − 0.2 = −0.1, 0.02 − 0 = 0.02, −0.01 − (−0.02) = 0.01 → √(0.01 / 3)
    expect(downsideRisk(r, { annualization: 1, requiredReturn: [0.2, 0, 0, -0.02] })).toBeCloseTo(Math.sqrt(0.01 / 3), 14);
  });

  it('Sortino and omega measure each return against its own thresholds', () => {
    const required = [0.2, 0, 0, -0.02];
    // excess over the required return, NaN skipped: −0.1, 0.02, 0.01 → mean −0.07 / 3, downside √(0.01 / 3)
    expect(sortinoRatio(r, { annualization: 1, requiredReturn: required })).toBeCloseTo(-0.07 / 3 / Math.sqrt(0.01 / 3), 12);
    // r − rf − required: 0.1 − 0.01 − 0.2 = −0.11, 0.02 − 0.02 − 0 = 0, −0.01 − 0 + 0.02 = 0.01 → gains 0.01 over losses 0.11
    expect(omegaRatio(r, { riskFree: rf, requiredReturn: required })).toBeCloseTo(0.01 / 0.11, 12);
  });

  it('beta takes the excess of both series over each period’s rate', () => {
    const x = [0.03, 0.01, 0.05];
    const b = [0.02, 0.0, 0.03];
    const rates = [0.01, 0.0, 0.01];
    // excess: x' = [0.02, 0.01, 0.04], b' = [0.01, 0, 0.02]; b' − mean = [0, −0.01, 0.01] → cov 0.0003 / 3, var 0.0002 / 3 → beta 1.5
    expect(beta(x, b, { riskFree: rates })).toBeCloseTo(1.5, 12);
    // alpha: mean of x' − 1.5 b' = [0.005, 0.01, 0.01] = 0.025 / 3 a period, compounded over the year
    expect(alpha(x, b, { riskFree: rates, annualization: 1 })).toBeCloseTo(0.025 / 3, 12);
    expect(alpha(x, b, { riskFree: rates })).toBeCloseTo((1 + 0.025 / 3) ** 252 - 1, 10);
  });

  it('a series of the wrong length, a non-finite entry, or a series given to running statistics is refused by name', () => {
    expect(() => sharpeRatio([0.1, 0.2], { riskFree: [0.01] })).toThrow(/riskFree: the series has 1 entries for 2 returns/);
    expect(() => sortinoRatio([0.1, 0.2], { requiredReturn: [0, Number.NaN] })).toThrow(/requiredReturn: entry 1 is NaN/);
    expect(() => resolveMetricOptions({ riskFree: [0] })).toThrow(ConfigError);
    expect(() => resolveMetricOptions({ riskFree: [0] })).toThrow(/running statistics need one number/);
  });
});

describe('distribution metrics', () => {
  it('skew and excess kurtosis of [1, 2, 3, 10] match the hand-derived G1 and G2 (pandas’ skew and kurt)', () => {
    // mean 4; deviations −3, −2, −1, 6: Σd² = 50, Σd³ = 180, Σd⁴ = 1394
    expect(skew([1, 2, 3, 10])).toBeCloseTo((Math.sqrt(12) / 2) * (45 / 12.5 ** 1.5), 12); // ≈ 1.763632
    expect(skew([1, 2, 3, 10])).toBeCloseTo(1.763632, 5);
    expect(kurtosis([1, 2, 3, 10])).toBeCloseTo(30 * (1394 / 2500) - 13.5, 12); // 3.228
    expect(skew([1, 2, 3])).toBeCloseTo(0, 14);
    expect(skew([1, 2])).toBeNaN();
    expect(kurtosis([1, 2, 3])).toBeNaN();
    expect(skew([2, 2, 2, 2])).toBe(0);
  });

  it('VaR interpolates the 5th percentile; expected shortfall averages the returns at or below it', () => {
    const r = [0.03, -0.02, 0.0, -0.05, 0.01];
    expect(valueAtRisk(r)).toBeCloseTo(-0.05 + 0.2 * 0.03, 14); // rank h = 4 × 0.05 = 0.2
    expect(expectedShortfall(r)).toBeCloseTo(-0.05, 14);
    expect(expectedShortfall(r, 0.5)).toBeCloseTo((-0.05 - 0.02 + 0) / 3, 14); // median 0 and below
    expect(valueAtRisk([])).toBeNaN();
  });

  it('VaR and ES agree with a naive sort-and-index recomputation on a longer series', () => {
    const r = Array.from({ length: 101 }, (_, i) => Math.sin(i * 1.7) / 50);
    const sorted = [...r].sort((a, b) => a - b);
    expect(valueAtRisk(r)).toBeCloseTo(sorted[5] as number, 14); // (101 − 1) × 0.05 = 5, an exact rank
    const tail = sorted.filter((x) => x <= (sorted[5] as number));
    expect(expectedShortfall(r)).toBeCloseTo(tail.reduce((a, b) => a + b, 0) / tail.length, 14);
  });
});

describe('calendar metrics', () => {
  it('CAGR compounds over elapsed calendar years', () => {
    const times = ['2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z']; // 366 days
    expect(cagr([0.1, 0.1], times)).toBeCloseTo(1.21 ** (365.25 / 366) - 1, 14);
    expect(cagr([0.1, 0.1], times, '2019-01-01T00:00:00.000Z')).toBeCloseTo(1.21 ** (365.25 / 731) - 1, 14);
    expect(cagr([0.1], [times[0] as string])).toBeNaN();
    expect(() => cagr([0.1], times)).toThrow(/1 returns but 2 times/);
  });

  it('returns compound within UTC months and years; best and worst pick the extremes', () => {
    const times = ['2023-12-31T00:00:00.000Z', '2024-01-30T00:00:00.000Z', '2024-01-31T00:00:00.000Z', '2024-02-01T00:00:00.000Z'];
    const r = [0.05, 0.1, 0.1, -0.5];
    const months = periodReturns(r, times, 'month');
    expect(months.map((m) => m.period)).toEqual(['2023-12', '2024-01', '2024-02']);
    expect(months[1]?.return).toBeCloseTo(0.21, 14);
    expect(months[2]?.return).toBeCloseTo(-0.5, 14);
    const years = periodReturns(r, times, 'year');
    expect(years.map((y) => [y.period, y.observations])).toEqual([['2023', 1], ['2024', 3]]);
    expect(years[1]?.return).toBeCloseTo(1.21 * 0.5 - 1, 14);
    expect(bestWorst(months.map((m) => m.return))).toEqual({ best: months[1]?.return, worst: -0.5 });
    expect(bestWorst([Number.NaN])).toEqual({ best: Number.NaN, worst: Number.NaN });
  });
});

describe('drawdown periods', () => {
  // equity 1.1, 0.55, 0.66, 1.32, 1.188; peaks 1.1, 1.1, 1.1, 1.32, 1.32
  const r = [0.1, -0.5, 0.2, 1.0, -0.1];
  const times = [1, 2, 3, 4, 5].map(day);

  it('the underwater curve is the fall below the running peak', () => {
    const uw = [...underwater(r)];
    [0, -0.5, -0.4, 0, -0.1].forEach((x, i) => expect(uw[i]).toBeCloseTo(x, 14));
  });

  it('each period runs from its peak through the trough to recovery, deepest first', () => {
    const p = drawdownPeriods(r, times);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatchObject({ start: day(1), trough: day(2), recovery: day(4), days: 3 });
    expect(p[0]?.depth).toBeCloseTo(-0.5, 14);
    expect(p[1]).toMatchObject({ start: day(4), trough: day(5), recovery: null, days: 1 });
    expect(longestDrawdownDays(r, times)).toBe(3);
    expect(longestDrawdownDays([0.1, 0.2], [day(1), day(2)])).toBe(0);
  });

  it('a fall at the first return starts at the given start time', () => {
    expect(drawdownPeriods([-0.1, 0.2], [day(2), day(9)], day(1))[0]).toMatchObject({ start: day(1), recovery: day(9), days: 8 });
  });
});

describe('rolling metrics', () => {
  const r = Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.9) / 100 + 0.001);

  it('each entry is the metric of the window ending there; the first window − 1 are NaN', () => {
    const sharpe = rollingSharpe(r, 10);
    const vol = rollingVolatility(r, 10, { annualization: 12 });
    expect(sharpe).toHaveLength(40);
    for (let i = 0; i < 9; i += 1) expect(sharpe[i]).toBeNaN();
    for (let i = 9; i < 40; i += 1) {
      const w = r.slice(i - 9, i + 1);
      const m = w.reduce((a, b) => a + b, 0) / 10;
      const sd = Math.sqrt(w.reduce((s, x) => s + (x - m) ** 2, 0) / 9);
      expect(sharpe[i]).toBeCloseTo((m / sd) * Math.sqrt(252), 10);
      expect(vol[i]).toBeCloseTo(sd * Math.sqrt(12), 14);
    }
  });

  it('a riskFree series is cut with its window', () => {
    const rf = r.map((_, i) => i / 10_000);
    const rolled = rollingSharpe(r, 5, { riskFree: rf });
    expect(rolled[20]).toBeCloseTo(sharpeRatio(r.slice(16, 21), { riskFree: rf.slice(16, 21) }), 14);
    expect(() => rollingSharpe(r, 0)).toThrow(/positive integer/);
  });
});

describe('relative metrics against a benchmark', () => {
  it('tracking error and information ratio are the spread and Sharpe of the active returns', () => {
    const r = [0.02, 0.01, 0.03];
    const b = [0.01, 0.01, 0.01]; // active 0.01, 0, 0.02: mean 0.01, sample sd 0.01
    expect(trackingError(r, b, { annualization: 1 })).toBeCloseTo(0.01, 14);
    expect(trackingError(r, b)).toBeCloseTo(0.01 * Math.sqrt(252), 12);
    expect(informationRatio(r, b, { annualization: 1 })).toBeCloseTo(1, 12);
    expect(informationRatio([0.1, Number.NaN, 0.2], [0.0, 0.5, 0.05], { annualization: 1 })).toBeCloseTo(0.125 / Math.sqrt(0.00125), 12);
  });

  it('correlation equals the hand-computed Pearson coefficient and the matrix entry', () => {
    const x = [1, 2, 3];
    const y = [2, 4, 7]; // dx −1, 0, 1; dy −7/3, −1/3, 8/3 → sxy 5, sxx 2, syy 114/9
    expect(correlation(x, y)).toBeCloseTo(5 / Math.sqrt(2 * (114 / 9)), 14);
    expect(correlation(x, y)).toBe(correlationMatrix([x, y])[0]?.[1]);
    expect(() => correlation([1], [1, 2])).toThrow(ConfigError);
  });
});

describe('exposure metrics', () => {
  it('time in market counts periods holding anything, long or short', () => {
    expect(timeInMarket([0, 5, -3, Number.NaN, 0])).toBe(0.5);
    expect(timeInMarket([])).toBeNaN();
  });

  it('turnover divides traded value by the mean book value', () => {
    expect(turnover(300, [100, 200])).toBe(2);
    expect(turnover(300, [])).toBeNaN();
  });
});
