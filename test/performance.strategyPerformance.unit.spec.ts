import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, InvalidNumberError } from '../src/errors.js';
import { StrategyPerformance, transferNeutralReturn } from '../src/performance/index.js';

const t = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString();

describe('StrategyPerformance: hand-computed statistics', () => {
  it('computes returns, sample volatility, Sharpe, win rate, P&L profit factor and drawdown', () => {
    const p = StrategyPerformance.fromValues('a', [100, 110, 99, 99], { annualization: 252 });
    expect(Array.from(p.returns)).toEqual([expect.closeTo(0.1, 12), expect.closeTo(-0.1, 12), 0]);
    expect(p.count).toBe(3);
    expect(p.volatility).toBeCloseTo(0.1 * Math.sqrt(252), 10);
    expect(p.sharpe).toBeCloseTo(0, 12);
    expect(p.winningPeriods).toBe(1);
    expect(p.losingPeriods).toBe(1);
    expect(p.winRate).toBe(0.5);
    expect(p.profitFactor).toBeCloseTo(10 / 11, 12); // money P&L: +10 and −11, not returns
    expect(p.maxDrawdown).toBeCloseTo(-0.1, 12);
    expect(p.currentDrawdown).toBeCloseTo(-0.1, 12);
    expect(p.peak).toBeCloseTo(110, 9);
    expect(p.lastValue).toBe(99);
  });

  it('computes Sortino with the target semi-deviation (divisor n)', () => {
    const p = StrategyPerformance.fromValues('a', [100, 110, 99, 108.9], { annualization: 252 });
    const dd = Math.sqrt(0.01 / 3);
    expect(p.sortino).toBeCloseTo(((0.1 / 3) / dd) * Math.sqrt(252), 8);
    expect(p.meanReturn).toBeCloseTo((0.1 / 3) * 252, 9);
  });

  it('subtracts the per-period risk-free rate in Sharpe', () => {
    const p = StrategyPerformance.fromValues('a', [100, 110, 121, 108.9], { annualization: 1, riskFree: 0.01 });
    const rs = [0.1, 0.1, -0.1];
    const mean = 0.1 / 3;
    const sd = Math.sqrt(rs.reduce((s, r) => s + (r - mean) ** 2, 0) / 2);
    expect(p.sharpe).toBeCloseTo((mean - 0.01) / sd, 9);
  });

  it('excludes capital transfers from returns and from drawdowns', () => {
    const p = new StrategyPerformance('a', { annualization: 1 });
    p.update(t(0), 100);
    p.update(t(1), 160, 50); // 50 moved in, then +10 on 150
    expect(p.returns[0]).toBeCloseTo(160 / 150 - 1, 14);
    p.update(t(2), 80, -80); // 80 moved out, no P&L
    expect(p.returns[1]).toBe(0);
    expect(p.currentDrawdown).toBe(0);
    expect(p.maxDrawdown).toBe(0);
    expect(p.peak).toBeCloseTo(80, 12);
  });

  it('counts a transfer before execution in the base and one after execution out of the closing value', () => {
    const p = new StrategyPerformance('a', { annualization: 1 });
    p.start(0);
    // Funded with 100,000 before the bar's execution; it paid 1,000 in costs: −1%.
    p.update(t(0), 99_000, 100_000, 0);
    // 99,000 earned 9,900 (+10%); a rebalance then moved 50,000 in after execution: 158,900 at the mark.
    p.update(t(1), 158_900, 0, 50_000);
    // 187,333.50 lost 2,365.43 in the bar (−1.26%), then a rebalance moved 184,968.07 out after execution: empty.
    p.update(t(2), 187_333.5, 0, 0);
    p.update(t(3), 0, 0, -184_968.07);
    expect(Array.from(p.returns)).toEqual([expect.closeTo(-0.01, 14), expect.closeTo(0.1, 14), expect.closeTo(187_333.5 / 158_900 - 1, 14), expect.closeTo(-0.012626839299965, 13)]);
    expect(p.profitFactor).toBeCloseTo((9_900 + 28_433.5) / (1_000 + 2_365.43), 9);
    // Holding nothing, it has no return; funded again after execution, its first return counts from there.
    p.update(t(4), 0);
    p.update(t(5), 60_000, 0, 60_000);
    expect(p.count).toBe(4);
    p.update(t(6), 61_200);
    expect(p.returns[4]).toBeCloseTo(0.02, 14);
  });

  it('gives the same return as transferNeutralReturn', () => {
    expect(transferNeutralReturn(187_333.5, 0, 0, -184_968.07)?.r).toBeCloseTo(-2_365.43 / 187_333.5, 14);
    expect(transferNeutralReturn(187_333.5, 0, 0, -184_968.07)?.pnl).toBeCloseTo(-2_365.43, 8);
    expect(transferNeutralReturn(0, 99_000, 100_000, 0)).toEqual({ r: expect.closeTo(-0.01, 15), pnl: -1_000 });
    expect(transferNeutralReturn(0, 50_000, 0, 50_000)).toBeNull();
  });

  it('restartWindow empties the window and measures the next return from the last value', () => {
    const p = StrategyPerformance.fromValues('a', [100, 110, 99]);
    p.restartWindow();
    expect(p.count).toBe(0);
    expect(p.values.length).toBe(0);
    expect(p.maxDrawdown).toBeCloseTo(-0.1, 12);
    p.update('000000000003', 108.9);
    expect(Array.from(p.returns)).toEqual([expect.closeTo(0.1, 12)]);
  });

  it('skips the return when V_prev + netTransfer ≤ 0', () => {
    const p = new StrategyPerformance('a');
    p.update(t(0), 100);
    p.update(t(1), 0, -100);
    expect(p.count).toBe(0);
    p.update(t(2), 50, 50);
    expect(Array.from(p.returns)).toEqual([0]);
    expect(p.updates).toBe(3);
  });

  it('gives NaN volatility, Sharpe and Sortino with fewer than two returns', () => {
    const p = StrategyPerformance.fromValues('a', [100, 101]);
    expect(p.count).toBe(1);
    expect(p.volatility).toBeNaN();
    expect(p.sharpe).toBeNaN();
    expect(p.sortino).toBeNaN();
    expect(StrategyPerformance.fromValues('b', []).lastValue).toBeNaN();
  });

  it('gives volatility exactly 0 and Sharpe NaN for constant returns (B7), also after other returns left the window', () => {
    const flat = StrategyPerformance.fromValues('a', [1, 2, 4, 8, 16]);
    expect(flat.volatility).toBe(0);
    expect(flat.sharpe).toBeNaN();
    const rolled = StrategyPerformance.fromValues('b', [1, 3, 2, 4, 8, 16, 32], { lookback: 3 });
    expect(Array.from(rolled.returns)).toEqual([1, 1, 1]);
    expect(rolled.volatility).toBe(0);
    expect(rolled.sharpe).toBeNaN();
  });

  it('keeps window statistics over the lookback only (B8) but drawdown over the whole history', () => {
    const p = StrategyPerformance.fromValues('a', [100, 50, 60, 72, 86.4], { lookback: 2 });
    expect(p.winningPeriods).toBe(2);
    expect(p.losingPeriods).toBe(0);
    expect(p.maxDrawdown).toBeCloseTo(-0.5, 12);
    expect(Array.from(p.values)).toEqual([72, 86.4]);
  });

  it('rejects bad input with typed errors', () => {
    const p = new StrategyPerformance('a');
    p.update(t(1), 100);
    expect(() => p.update(t(1), 101)).toThrow(DataError);
    expect(() => p.update(t(0), 101)).toThrow(DataError);
    expect(() => p.update(t(2), Number.NaN)).toThrow(InvalidNumberError);
    expect(() => p.update(t(2), 100, Number.POSITIVE_INFINITY)).toThrow(InvalidNumberError);
    expect(() => new StrategyPerformance('a', { lookback: 0 })).toThrow(ConfigError);
    expect(() => new StrategyPerformance('a', { annualization: 1.5 })).toThrow(ConfigError);
    expect(() => new StrategyPerformance('a', { riskFree: Number.NaN })).toThrow(ConfigError);
  });
});

/** Naive recomputation over the whole history, independent of the ring buffers. */
function naive(values: number[], transfers: number[], lookback: number, rf: number) {
  const rs: number[] = [];
  const pnl: number[] = [];
  let index = 1;
  let peak = 1;
  let maxDd = 0;
  for (let i = 1; i < values.length; i++) {
    const base = (values[i - 1] as number) + (transfers[i] as number);
    if (base <= 0) continue;
    const r = (values[i] as number) / base - 1;
    rs.push(r);
    pnl.push((values[i] as number) - base);
    index *= 1 + r;
    peak = Math.max(peak, index);
    maxDd = Math.min(maxDd, index / peak - 1);
  }
  const w = rs.slice(-lookback);
  const wp = pnl.slice(-lookback);
  const n = w.length;
  const mean = w.reduce((a, b) => a + b, 0) / n;
  const variance = w.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1);
  const downside = w.reduce((a, r) => a + Math.min(r - rf, 0) ** 2, 0);
  return {
    n,
    mean,
    variance,
    downside,
    wins: w.filter((r) => r > 0).length,
    losses: w.filter((r) => r < 0).length,
    profit: wp.filter((x) => x > 0).reduce((a, b) => a + b, 0),
    loss: -wp.filter((x) => x < 0).reduce((a, b) => a + b, 0),
    maxDd,
    dd: index / peak - 1,
  };
}

describe('StrategyPerformance: O(1) window statistics equal a naive recomputation', () => {
  it('holds for random value series with transfers and random lookbacks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.array(fc.record({ v: fc.double({ min: 1, max: 1000, noNaN: true }), tr: fc.oneof(fc.constant(0), fc.double({ min: -50, max: 50, noNaN: true })) }), {
          minLength: 3,
          maxLength: 120,
        }),
        (lookback, steps) => {
          const p = new StrategyPerformance('x', { lookback, annualization: 1 });
          const values = steps.map((s) => s.v);
          const transfers = steps.map((s, i) => (i === 0 ? 0 : s.tr));
          steps.forEach((_, i) => p.update(t(i), values[i] as number, transfers[i]));
          const ref = naive(values, transfers, lookback, 0);
          expect(p.count).toBe(ref.n);
          if (ref.n >= 2) {
            expect(p.periodMean).toBeCloseTo(ref.mean, 9);
            expect(p.periodVariance).toBeCloseTo(ref.variance, 9);
            expect(Math.abs(p.volatility - Math.sqrt(ref.variance))).toBeLessThan(1e-7 * Math.max(1, Math.sqrt(ref.variance)));
            // Sortino over the window: mean ÷ √(Σ min(r − rf, 0)² / n), annualisation 1; NaN with no shortfall.
            if (ref.downside > 0) {
              const sortino = ref.mean / Math.sqrt(ref.downside / ref.n);
              expect(Math.abs(p.sortino - sortino)).toBeLessThan(1e-7 * Math.max(1, Math.abs(sortino)));
            } else {
              expect(p.sortino).toBeNaN();
            }
          }
          expect(p.winningPeriods).toBe(ref.wins);
          expect(p.losingPeriods).toBe(ref.losses);
          expect(Math.abs(p.profitFactor - ref.profit / ref.loss) < 1e-7 * Math.max(1, ref.profit / ref.loss) || (ref.loss === 0 && !Number.isFinite(p.profitFactor))).toBe(true);
          expect(p.maxDrawdown).toBeCloseTo(ref.maxDd, 9);
          expect(p.currentDrawdown).toBeCloseTo(ref.dd, 9);
        },
      ),
      { numRuns: 200, seed: 4242 },
    );
  });
});

describe('StrategyPerformance: start value and recovery state', () => {
  it('start(0) makes the funding transfer the first flow, so the first slice has a return', () => {
    const perf = new StrategyPerformance('s', { lookback: 10 });
    perf.start(0);
    perf.update('2024-01-02T00:00:00.000Z', 99_000, 100_000); // funded with 100,000, paid 1,000 in costs on day one
    perf.update('2024-01-03T00:00:00.000Z', 108_900, 0);
    expect([...perf.returns]).toEqual([99_000 / 100_000 - 1, 108_900 / 99_000 - 1]);
    expect(() => perf.start(1)).toThrow(DataError);
  });

  it('toState/fromState rebuild a record that goes on exactly like the original', () => {
    const a = new StrategyPerformance('s', { lookback: 5 });
    a.start(0);
    const values = [100, 103, 101, 104, 99, 98, 105, 107, 106];
    values.forEach((v, i) => a.update(`2024-01-${String(i + 2).padStart(2, '0')}T00:00:00.000Z`, v, i === 0 ? 100 : 0));
    const b = StrategyPerformance.fromState(JSON.parse(JSON.stringify(a.toState())));
    for (const p of [a, b]) p.update('2024-01-20T00:00:00.000Z', 111, 5);
    expect(b.toState()).toEqual(a.toState());
    expect([b.sharpe, b.volatility, b.maxDrawdown, b.winRate]).toEqual([a.sharpe, a.volatility, a.maxDrawdown, a.winRate]);
  });
});
