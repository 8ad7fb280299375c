import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addReturn,
  alpha,
  cagr,
  drawdownPeriods,
  periodReturns,
  underwater,
  annualReturn,
  annualVolatility,
  beta,
  calmarRatio,
  ConfigError,
  correlationMatrix,
  currentDrawdown,
  downsideRisk,
  emptyReturnStats,
  maxDrawdown,
  omegaRatio,
  perPeriodRate,
  profitFactor,
  resolveMetricOptions,
  sharpeRatio,
  sortinoRatio,
  summariseReturnStats,
  totalReturn,
  winRate,
  winRateOf,
  compoundingNote,
  LOSS_BEYOND_VALUE,
  profitFactorOf,
  StrategyPerformance,
  longestDrawdownDays,
} from '../src/index.js';

const r3 = [0.1, -0.05, 0.02];

describe('metrics on a hand-computed three-period series', () => {
  it('total and annual return compound the returns', () => {
    expect(totalReturn(r3)).toBeCloseTo(0.0659, 14); // 1.1 × 0.95 × 1.02 − 1
    expect(annualReturn(r3, { annualization: 3 })).toBeCloseTo(0.0659, 14); // exponent factor/n = 1
    expect(annualReturn(r3, { period: 'yearly' })).toBeCloseTo(1.0659 ** (1 / 3) - 1, 14);
  });

  it('volatility and Sharpe use the sample standard deviation (ddof 1)', () => {
    const std = Math.sqrt(0.1014 / 9 / 2); // Σ(r − mean)² = (0.23² + 0.22² + 0.01²)/9, over n − 1 = 2
    expect(annualVolatility(r3, { annualization: 1 })).toBeCloseTo(std, 14);
    expect(annualVolatility(r3)).toBeCloseTo(std * Math.sqrt(252), 12);
    expect(sharpeRatio(r3, { annualization: 1 })).toBeCloseTo(0.07 / 3 / std, 12);
    expect(sharpeRatio(r3, { annualization: 1, riskFree: 0.01 })).toBeCloseTo((0.07 / 3 - 0.01) / std, 12);
  });

  it('downside risk averages squared shortfalls over every observation; Sortino divides the annual mean by it', () => {
    expect(downsideRisk(r3)).toBeCloseTo(Math.sqrt(0.21), 12); // √(0.05²/3) × √252 = √0.21
    expect(sortinoRatio(r3, { annualization: 1 })).toBeCloseTo(0.07 / 3 / Math.sqrt(0.0025 / 3), 12);
    // required 0.02: shortfalls −0.07 and 0 (0.02 − 0.02); mean excess 0.07/3 − 0.02
    expect(downsideRisk(r3, { annualization: 1, requiredReturn: 0.02 })).toBeCloseTo(Math.sqrt(0.0049 / 3), 12);
  });

  it('drawdowns are measured on an equity curve starting at 1', () => {
    expect(maxDrawdown(r3)).toBeCloseTo(-0.05, 14); // 1.1 → 1.045
    expect(currentDrawdown(r3)).toBeCloseTo(-0.031, 14); // 1.0659 / 1.1 − 1
    expect(maxDrawdown([-0.1])).toBeCloseTo(-0.1, 14); // the start at 1 is a peak
    expect(currentDrawdown([0.1, 0.1])).toBe(0);
    expect(calmarRatio(r3, { annualization: 3 })).toBeCloseTo(0.0659 / 0.05, 12);
  });

  it('omega, win rate and profit factor split gains from losses; a zero return is neither a win nor a loss', () => {
    expect(omegaRatio(r3)).toBeCloseTo(0.12 / 0.05, 12);
    expect(omegaRatio(r3, { requiredReturn: 0.02 })).toBeCloseTo(0.08 / 0.07, 12);
    expect(winRate(r3)).toBeCloseTo(2 / 3, 14);
    // one win, one loss, two flat periods: 1 / (1 + 1), not 1 / 4
    expect(winRate([0, 0.01, -0.01, 0])).toBe(0.5);
    expect(winRate([0, 0])).toBeNaN();
    // profit factor takes money: +100 and +20 against −50
    expect(profitFactor([100, -50, 20])).toBeCloseTo(2.4, 12);
  });

  it('win rate and profit factor have one definition (winRateOf, profitFactorOf) that the engine statistics and the streaming summary share', () => {
    expect(winRateOf(3, 1)).toBe(0.75);
    expect(winRateOf(0, 0)).toBeNaN();
    expect(profitFactorOf(30, 12)).toBe(2.5);
    expect(profitFactorOf(5, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(profitFactorOf(0, 0)).toBeNaN();
    // Values 100 → 110 → 110 → 99 → 104 with no transfers: returns +10%, 0, −10%, +5.05%; P&L +10, 0, −11, +5.
    const values = [100, 110, 110, 99, 104];
    const perf = new StrategyPerformance('s', { lookback: 10, annualization: 1 });
    values.forEach((v, i) => perf.update(`2024-01-0${i + 1}T00:00:00.000Z`, v, i === 0 ? 100 : 0));
    let stats = emptyReturnStats();
    for (let i = 1; i < values.length; i += 1) {
      const [before, after] = [values[i - 1] as number, values[i] as number];
      stats = addReturn(stats, after / before - 1, resolveMetricOptions({ annualization: 1 }), after - before);
    }
    const summary = summariseReturnStats(stats, { annualization: 1 });
    expect(perf.winRate).toBe(2 / 3);
    expect(summary.winRate).toBe(2 / 3);
    expect(perf.profitFactor).toBeCloseTo(15 / 11, 12);
    expect(summary.profitFactor).toBeCloseTo(15 / 11, 12);
  });

  it('profit factor without losses is Infinity with gains and NaN with none', () => {
    expect(profitFactor([10, 0])).toBe(Number.POSITIVE_INFINITY);
    expect(profitFactor([0, 0])).toBeNaN();
    expect(profitFactor([])).toBeNaN();
  });
});

describe('short series and NaN', () => {
  it('spread statistics are NaN below two observations; return and drawdown figures are defined for one', () => {
    for (const f of [annualVolatility, sharpeRatio, sortinoRatio, calmarRatio, omegaRatio]) {
      expect(f([0.01])).toBeNaN();
      expect(f([])).toBeNaN();
      expect(f([0.01, Number.NaN])).toBeNaN();
    }
    expect(beta([0.01], [0.02])).toBeNaN();
    expect(totalReturn([0.01])).toBeCloseTo(0.01, 15);
    expect(annualReturn([0.01], { annualization: 2 })).toBeCloseTo(1.01 ** 2 - 1, 15);
    expect(maxDrawdown([0.01])).toBe(0);
    expect(downsideRisk([-0.01], { annualization: 1 })).toBeCloseTo(0.01, 15);
    expect(winRate([0.01])).toBe(1);
    for (const f of [totalReturn, maxDrawdown, currentDrawdown, winRate, downsideRisk]) expect(f([])).toBeNaN();
  });

  it('NaN entries are skipped in sums and means; annual return still counts them as periods (as empyrical)', () => {
    const withNaN = [0.1, Number.NaN, -0.05, 0.02];
    expect(totalReturn(withNaN)).toBeCloseTo(totalReturn(r3), 15);
    expect(annualVolatility(withNaN)).toBeCloseTo(annualVolatility(r3), 14);
    expect(sharpeRatio(withNaN)).toBeCloseTo(sharpeRatio(r3), 12);
    expect(maxDrawdown(withNaN)).toBeCloseTo(maxDrawdown(r3), 15);
    expect(winRate(withNaN)).toBeCloseTo(winRate(r3), 15);
    expect(annualReturn(withNaN, { annualization: 4 })).toBeCloseTo(0.0659, 14);
  });

  it('a constant series has an infinite or undefined Sharpe ratio', () => {
    expect(sharpeRatio([0.01, 0.01, 0.01])).toBe(Number.POSITIVE_INFINITY);
    expect(sharpeRatio([0, 0])).toBeNaN();
    expect(sortinoRatio([0.01, 0.02])).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    expect(() => sharpeRatio(r3, { annualization: 0 })).toThrow(ConfigError);
    expect(() => sharpeRatio(r3, { annualization: Number.NaN })).toThrow(/annualization/);
    expect(() => sharpeRatio(r3, { riskFree: Number.POSITIVE_INFINITY })).toThrow(/riskFree/);
    expect(() => downsideRisk(r3, { requiredReturn: Number.NaN })).toThrow(/requiredReturn/);
    expect(() => annualReturn(r3, { period: 'hourly' as 'daily' })).toThrow(/period/);
    expect(resolveMetricOptions({ period: 'weekly' }).annualization).toBe(52);
    expect(resolveMetricOptions({ period: 'monthly' }).annualization).toBe(12);
  });
});

describe('beta, alpha and correlation', () => {
  it('beta is the regression slope on the benchmark, alpha the annualised intercept', () => {
    const b = [0.02, 0.04, -0.01, 0.03];
    const r = b.map((x) => x / 2 + 0.001);
    expect(beta(r, b)).toBeCloseTo(0.5, 12);
    expect(alpha(r, b)).toBeCloseTo(1.001 ** 252 - 1, 10);
    expect(alpha(r, b, { annualization: 1 })).toBeCloseTo(0.001, 12);
  });

  it('beta masks periods where either series is NaN and is NaN for a flat benchmark', () => {
    expect(beta([0.01, 0.5, 0.02, 0.03], [0.02, Number.NaN, 0.04, 0.06])).toBeCloseTo(0.5, 12);
    expect(beta([0.01, 0.02, 0.03], [0.01, 0.01, 0.01])).toBeNaN();
    expect(() => beta([0.01], [0.01, 0.02])).toThrow(ConfigError);
  });

  it('correlation matrix is pairwise over common periods', () => {
    const a = [0.01, 0.02, 0.03, Number.NaN];
    const b = [0.02, 0.04, 0.06, 0.01];
    const c = [-0.01, -0.02, -0.03, 0.5];
    const flat = [0.01, 0.01, 0.01, 0.01];
    const m = correlationMatrix([a, b, c, flat]);
    expect(m[0]?.[0]).toBe(1);
    expect(m[0]?.[1]).toBeCloseTo(1, 12);
    expect(m[1]?.[0]).toBeCloseTo(1, 12);
    expect(m[0]?.[2]).toBeCloseTo(-1, 12);
    expect(m[3]?.[3]).toBeNaN();
    expect(m[0]?.[3]).toBeNaN();
    // b and c share all four periods: hand-computed Pearson
    const mb = 0.0325;
    const mc = 0.11;
    const db = b.map((x) => x - mb);
    const dc = c.map((x) => x - mc);
    const sxy = db.reduce((s, x, i) => s + x * (dc[i] ?? 0), 0);
    const sxx = db.reduce((s, x) => s + x * x, 0);
    const syy = dc.reduce((s, x) => s + x * x, 0);
    expect(m[1]?.[2]).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 12);
    expect(() => correlationMatrix([a, [0.1]])).toThrow(ConfigError);
  });
});

// empyrical's formulas written out longhand (numpy semantics), to check the library on arbitrary series.
const longhand = {
  mean: (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length,
  std(xs: number[]) {
    const m = longhand.mean(xs);
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  },
  sharpe: (xs: number[], f: number) => (longhand.mean(xs) / longhand.std(xs)) * Math.sqrt(f),
  downside: (xs: number[], f: number) => Math.sqrt(longhand.mean(xs.map((x) => Math.min(x, 0) ** 2))) * Math.sqrt(f),
  maxDd(xs: number[]) {
    const cum = [100];
    for (const x of xs) cum.push((cum[cum.length - 1] ?? 0) * (1 + x));
    let peak = 0;
    let dd = 0;
    for (const v of cum) {
      peak = Math.max(peak, v);
      dd = Math.min(dd, (v - peak) / peak);
    }
    return dd;
  },
};

// Returns in whole basis points: realistic, and free of the denormal spreads where any two float algorithms disagree.
const series = fc.array(fc.integer({ min: -2000, max: 2000 }).map((bp) => bp / 10_000), { minLength: 2, maxLength: 60 });

describe('agreement with empyrical longhand and between batch and streaming forms', () => {
  it('batch functions match the longhand formulas', () => {
    fc.assert(
      fc.property(series, (xs) => {
        const close = (a: number, b: number) =>
          (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
        return (
          close(sharpeRatio(xs), longhand.sharpe(xs, 252)) &&
          close(downsideRisk(xs), longhand.downside(xs, 252)) &&
          close(maxDrawdown(xs), longhand.maxDd(xs)) &&
          close(annualVolatility(xs, { period: 'monthly' }), longhand.std(xs) * Math.sqrt(12))
        );
      }),
    );
  });

  it('streaming statistics reproduce every batch metric', () => {
    const options = { annualization: 52, riskFree: 0.001, requiredReturn: 0.002 };
    const resolved = resolveMetricOptions(options);
    fc.assert(
      fc.property(series, (xs) => {
        // P&L in money of a strategy whose capital changes each period: not proportional to its returns.
        const pnl = xs.map((x, i) => x * (1000 + 37 * i));
        let s = emptyReturnStats();
        xs.forEach((x, i) => (s = addReturn(s, x, resolved, pnl[i] as number)));
        const m = summariseReturnStats(s, options);
        const pairs: [number, number][] = [
          [m.totalReturn, totalReturn(xs)],
          [m.annualReturn, annualReturn(xs, options)],
          [m.annualVolatility, annualVolatility(xs, options)],
          [m.sharpeRatio, sharpeRatio(xs, options)],
          [m.sortinoRatio, sortinoRatio(xs, options)],
          [m.downsideRisk, downsideRisk(xs, options)],
          [m.maxDrawdown, maxDrawdown(xs)],
          [m.currentDrawdown, currentDrawdown(xs)],
          [m.calmarRatio, calmarRatio(xs, options)],
          [m.omegaRatio, omegaRatio(xs, options)],
          [m.winRate, winRate(xs)],
          [m.profitFactor, profitFactor(pnl)],
        ];
        return pairs.every(
          ([a, b]) => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(b)),
        );
      }),
    );
  });
});

describe('an annual risk-free rate', () => {
  it('is converted per period by compounding over the annualisation factor', () => {
    expect((1 + perPeriodRate(0.02, 252)) ** 252).toBeCloseTo(1.02, 12);
    expect(perPeriodRate(0.12, 12)).toBeCloseTo(1.12 ** (1 / 12) - 1, 15);
    expect(resolveMetricOptions({ annualRiskFree: 0.02, period: 'weekly' }).riskFree).toBeCloseTo(1.02 ** (1 / 52) - 1, 15);
    expect(resolveMetricOptions({ annualRiskFree: 0 }).riskFree).toBe(0);
  });

  it('gives the Sharpe ratio of the per-period rate, and excludes a per-period riskFree given with it', () => {
    const r = [0.01, -0.02, 0.03, 0.005];
    expect(sharpeRatio(r, { annualization: 12, annualRiskFree: 0.06 })).toBeCloseTo(sharpeRatio(r, { annualization: 12, riskFree: 1.06 ** (1 / 12) - 1 }), 14);
    expect(() => resolveMetricOptions({ annualRiskFree: 0.02, riskFree: 0.0001 })).toThrow(/exclude each other/);
    expect(() => resolveMetricOptions({ annualRiskFree: -1 })).toThrow(/annualRiskFree/);
  });
});

describe('a return below −100%', () => {
  // −80%, then −400% (the value went from 10,000 to −30,000), then +10% once the value is back above zero.
  const beyond = [-0.8, -4, 0.1];
  it('leaves the compounded figures undefined in the batch and the streaming metrics alike, with one reason', () => {
    const resolved = resolveMetricOptions({ annualization: 252 });
    let s = emptyReturnStats();
    for (const r of beyond) s = addReturn(s, r, resolved, 0);
    const m = summariseReturnStats(s, { annualization: 252 });
    for (const [streamed, batch] of [
      [m.totalReturn, totalReturn(beyond)],
      [m.annualReturn, annualReturn(beyond, { annualization: 252 })],
      [m.maxDrawdown, maxDrawdown(beyond)],
      [m.currentDrawdown, currentDrawdown(beyond)],
      [m.calmarRatio, calmarRatio(beyond, { annualization: 252 })],
    ]) {
      expect(streamed).toBeNaN();
      expect(batch).toBeNaN();
    }
    expect(compoundingNote(s)).toBe(LOSS_BEYOND_VALUE);
    expect(compoundingNote(addReturn(emptyReturnStats(), -1, resolved, 0))).toBeNull();
  });

  it('leaves the calendar figures, the underwater curve and the drawdown periods undefined from that bar on', () => {
    const days = ['2024-01-02', '2024-01-03', '2025-01-02'].map((d) => `${d}T00:00:00.000Z`);
    expect(cagr(beyond, days, '2024-01-01T00:00:00.000Z')).toBeNaN();
    expect(periodReturns(beyond, days, 'year').map((p) => p.return)).toEqual([Number.NaN, Number.NaN]);
    expect(periodReturns([0.1, ...beyond], ['2023-12-29T00:00:00.000Z', ...days], 'year')[0]?.return).toBeCloseTo(0.1, 12);
    const uw = underwater(beyond);
    expect(uw[0]).toBeCloseTo(-0.8, 12);
    expect([uw[1], uw[2]]).toEqual([Number.NaN, Number.NaN]);
    // The fall that went below zero is the deepest and never recovers: like any fall not recovered, it lasts to the
    // last return (2024-01-01 → 2025-01-02), not only to the bar that broke the value. Nothing after it is scanned.
    expect(drawdownPeriods(beyond, days, '2024-01-01T00:00:00.000Z')).toEqual([
      { start: '2024-01-01T00:00:00.000Z', trough: days[1], depth: -1, recovery: null, days: 367 },
    ]);
    expect(longestDrawdownDays(beyond, days, '2024-01-01T00:00:00.000Z')).toBe(367);
  });

  it('differs from a total loss of exactly −100%, which stays a total loss', () => {
    expect(totalReturn([0.5, -1, 0.2])).toBe(-1);
    expect(maxDrawdown([0.5, -1, 0.2])).toBe(-1);
  });
});
