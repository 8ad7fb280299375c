import { describe, expect, it } from 'vitest';
import {
  AllocationConstraints,
  DrawdownBasedAllocation,
  DynamicAllocation,
  FixedAllocation,
  KellyCriterionAllocation,
  RiskParityAllocation,
  SharpeProportionalAllocation,
  alignReturns,
  createAllocationAlgorithm,
  equalRiskContribution,
  riskContributions,
  sampleCovariance,
} from '../src/allocation/index.js';
import { shrinkTowardDiagonal } from '../src/allocation/equalRiskContribution.js';
import { ConfigError } from '../src/errors.js';
import { StrategyPerformance, type PerformanceOptions } from '../src/performance/index.js';
import { SeededRandom } from '../src/market/seededRandom.js';

const t = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString();

/** A record whose returns are `returns` (values start at 100). */
function fromReturns(id: string, returns: readonly number[], options: PerformanceOptions = { annualization: 1 }): StrategyPerformance {
  const values = [100];
  for (const r of returns) values.push((values[values.length - 1] as number) * (1 + r));
  return StrategyPerformance.fromValues(id, values, options);
}


describe('FixedAllocation', () => {
  it('keeps the configured weights, never renormalised (B14); the rest stays in the reserve', () => {
    const algo = new FixedAllocation({ a: 0.3, b: 0.3 });
    const perf = { a: fromReturns('a', [0.1, 0.2]) };
    expect(algo.calculateAllocations(perf)).toEqual({ a: 0.3 });
    const both = algo.calculateAllocations({ ...perf, b: fromReturns('b', []), c: fromReturns('c', []) });
    expect(both).toEqual({ a: 0.3, b: 0.3, c: 0 });
  });

  it('rejects weights above 100% or outside [0, 1]', () => {
    expect(() => new FixedAllocation({ a: 0.6, b: 0.5 })).toThrow(ConfigError);
    expect(() => new FixedAllocation({ a: -0.1 })).toThrow(/allocations\.a/);
  });
});

describe('DynamicAllocation', () => {
  it('min-max normalises lookback returns above a true floor', () => {
    const algo = new DynamicAllocation({ lookback: 60, floor: 0.05 });
    const w = algo.calculateAllocations({
      a: StrategyPerformance.fromValues('a', [100, 105, 110]),
      b: StrategyPerformance.fromValues('b', [100, 100, 100]),
      c: StrategyPerformance.fromValues('c', [100, 95, 90]),
    });
    expect(w.a).toBeCloseTo(0.05 + 0.85 * (2 / 3), 12);
    expect(w.b).toBeCloseTo(0.05 + 0.85 * (1 / 3), 12);
    expect(w.c).toBeCloseTo(0.05, 12);
  });

  it('gives the floor to a strategy with fewer than two returns and equal weights when all tie or one strategy only', () => {
    const algo = new DynamicAllocation({ floor: 0.1 });
    const w = algo.calculateAllocations({ a: fromReturns('a', [0.1, 0.1]), b: fromReturns('b', [0.02, 0.01]), c: fromReturns('c', [0.3]) });
    expect(w.c).toBeCloseTo(0.1, 12);
    expect(w.b).toBeCloseTo(0.1, 12);
    expect(w.a).toBeCloseTo(0.8, 12);
    const tie = algo.calculateAllocations({ a: fromReturns('a', [0.1, -0.1]), b: fromReturns('b', [0.1, -0.1]) });
    expect(tie.a).toBeCloseTo(0.5, 12);
    expect(tie.b).toBeCloseTo(0.5, 12);
    expect(algo.calculateAllocations({ a: fromReturns('a', [-0.1, -0.2]) })).toEqual({ a: 1 });
  });
});

describe('RiskParityAllocation (inverse volatility)', () => {
  it('weights by 1/σ and gives a strategy with fewer than two returns an equal share, not ~99% (B12)', () => {
    const algo = new RiskParityAllocation({ method: 'inverse-volatility' });
    const a = fromReturns('a', [0.1, -0.1, 0.1, -0.1]);
    const b = fromReturns('b', [0.2, -0.2, 0.2, -0.2]);
    const two = algo.calculateAllocations({ a, b });
    expect(two.a).toBeCloseTo(2 / 3, 9);
    expect(two.b).toBeCloseTo(1 / 3, 9);
    const three = algo.calculateAllocations({ a, b, c: fromReturns('c', [0.05]) });
    expect(three.c).toBeCloseTo(1 / 3, 12);
    expect(three.a).toBeCloseTo(4 / 9, 9);
    expect(three.b).toBeCloseTo(2 / 9, 9);
  });

  it('floors zero volatility at minVolatility; one strategy gets 1', () => {
    const algo = new RiskParityAllocation({ minVolatility: 0.01 });
    const a = fromReturns('a', [0.1, -0.1, 0.1, -0.1]);
    const flat = fromReturns('d', [0, 0, 0, 0]);
    const w = algo.calculateAllocations({ a, d: flat });
    const inv = 1 / Math.sqrt((4 * 0.01) / 3);
    expect(w.d).toBeCloseTo(100 / (100 + inv), 9);
    expect(algo.calculateAllocations({ a })).toEqual({ a: 1 });
  });
});

describe('RiskParityAllocation (equal risk contribution)', () => {
  const random = new SeededRandom(7);
  const normal = (): number => random.normal();
  const m = 252;
  const factor = Array.from({ length: m }, normal);
  const loadings = [0.9, 0.5, 0.1, -0.4, 0.7];
  const scales = [0.01, 0.02, 0.005, 0.015, 0.03];
  const perfs: Record<string, StrategyPerformance> = {};
  loadings.forEach((l, k) => {
    const rs = factor.map((f) => (scales[k] as number) * (l * f + Math.sqrt(1 - l * l) * normal()));
    perfs[`s${k}`] = fromReturns(`s${k}`, rs, { annualization: 252 });
  });

  it('equalises risk contributions to 1e-8 relative on five correlated strategies', () => {
    const algo = new RiskParityAllocation({ method: 'equal-risk-contribution', minVolatility: 1e-6 });
    const d = algo.decide(perfs);
    const ids = Object.keys(perfs).sort();
    const cov = sampleCovariance(ids.map((id) => (perfs[id] as StrategyPerformance).returns));
    const w = ids.map((id) => d.finalWeights[id] as number);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const rc = riskContributions(cov, w);
    const mean = rc.reduce((a, b) => a + b, 0) / rc.length;
    for (const x of rc) expect(Math.abs(x - mean) / mean).toBeLessThan(1e-8);
    expect(d.solver?.status).toBe('optimal');
    // Correlations matter: ERC differs from inverse volatility here.
    const iv = new RiskParityAllocation({ method: 'inverse-volatility', minVolatility: 1e-6 }).calculateAllocations(perfs);
    expect(Math.max(...ids.map((id) => Math.abs((iv[id] as number) - (d.finalWeights[id] as number))))).toBeGreaterThan(1e-3);
  });

  it('equals inverse volatility for two strategies (a known closed form) and agrees between Newton and coordinate descent', () => {
    const two = { s0: perfs.s0 as StrategyPerformance, s1: perfs.s1 as StrategyPerformance };
    const erc = new RiskParityAllocation({ method: 'equal-risk-contribution', minVolatility: 1e-6 }).calculateAllocations(two);
    const iv = new RiskParityAllocation({ method: 'inverse-volatility', minVolatility: 1e-6 }).calculateAllocations(two);
    expect(erc.s0).toBeCloseTo(iv.s0 as number, 10);
    const ids = Object.keys(perfs).sort();
    const cov = sampleCovariance(ids.map((id) => (perfs[id] as StrategyPerformance).returns));
    const newton = equalRiskContribution(cov, ids.length);
    const ccd = equalRiskContribution(cov, ids.length, { newtonLimit: 0 });
    expect(ccd.method).toBe('coordinate-descent');
    expect(ccd.converged).toBe(true);
    newton.weights.forEach((x, i) => expect(ccd.weights[i]).toBeCloseTo(x, 9));
  });

  it('reports non-convergence when the iteration cap is hit', () => {
    const ids = Object.keys(perfs).sort();
    const cov = sampleCovariance(ids.map((id) => (perfs[id] as StrategyPerformance).returns));
    const r = equalRiskContribution(cov, ids.length, { newtonLimit: 0, maxIterations: 1 });
    expect(r.converged).toBe(false);
    expect(r.maxRelativeError).toBeGreaterThan(1e-12);
  });

  it('computes the sample covariance of seven series (blocked loop and its remainder) like the textbook formula', () => {
    const series = Array.from({ length: 7 }, (_, k) => Float64Array.from({ length: 9 }, () => (k + 1) * 0.01 * normal()));
    const cov = sampleCovariance(series);
    const mean = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 7; j++) {
        const a = series[i] as Float64Array;
        const b = series[j] as Float64Array;
        const ma = mean(a);
        const mb = mean(b);
        const expected = a.reduce((s, x, k) => s + (x - ma) * ((b[k] as number) - mb), 0) / 8;
        expect(cov[i * 7 + j]).toBeCloseTo(expected, 15);
      }
    }
  });

  it('solves the Newton system by conjugate gradients above directSolveLimit, to the same weights', () => {
    const ids = Object.keys(perfs).sort();
    const cov = sampleCovariance(ids.map((id) => (perfs[id] as StrategyPerformance).returns));
    const direct = equalRiskContribution(cov, ids.length);
    const cg = equalRiskContribution(cov, ids.length, { directSolveLimit: 0 });
    expect(direct.method).toBe('newton');
    expect(cg.method).toBe('newton-cg');
    expect(cg.converged).toBe(true);
    cg.weights.forEach((x, i) => expect(direct.weights[i]).toBeCloseTo(x, 10));
    const rc = riskContributions(cov, cg.weights);
    const mean = rc.reduce((a, b) => a + b, 0) / rc.length;
    for (const x of rc) expect(Math.abs(x - mean) / mean).toBeLessThan(1e-8);
  });

  it('shrinks a singular covariance (more strategies than returns) toward its diagonal and equalises under it', () => {
    // 12 strategies, 8 common returns: the sample covariance has rank ≤ 7.
    const r = new SeededRandom(11);
    const gauss = (): number => r.normal();
    const f = Array.from({ length: 8 }, gauss);
    const many: Record<string, StrategyPerformance> = {};
    for (let k = 0; k < 12; k++) many[`m${String(k).padStart(2, '0')}`] = fromReturns(`m${k}`, f.map((x) => 0.01 * (0.6 * x + 0.8 * gauss())));
    const ids = Object.keys(many).sort();
    const series = ids.map((id) => (many[id] as StrategyPerformance).returns);
    // Schäfer–Strimmer target-D intensity straight from its definition.
    const m = 8;
    const centred = series.map((xs) => {
      const mu = xs.reduce((a, b) => a + b, 0) / m;
      return Array.from(xs, (x) => x - mu);
    });
    let num = 0;
    let den = 0;
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++) {
        if (i === j) continue;
        const w = (centred[i] as number[]).map((x, k) => x * ((centred[j] as number[])[k] as number));
        const wBar = w.reduce((a, b) => a + b, 0) / m;
        num += (m / (m - 1) ** 3) * w.reduce((a, x) => a + (x - wBar) ** 2, 0);
        den += ((m / (m - 1)) * wBar) ** 2;
      }
    }
    const expectedDelta = num / den;
    expect(expectedDelta).toBeGreaterThan(0);
    expect(expectedDelta).toBeLessThan(1);
    const shrunk = sampleCovariance(series);
    expect(shrinkTowardDiagonal(series, shrunk)).toBeCloseTo(expectedDelta, 12);

    const d = new RiskParityAllocation({ method: 'equal-risk-contribution', minVolatility: 1e-6 }).decide(many);
    expect(d.solver?.status).toBe('optimal');
    expect(d.inputs[ids[0] as string]?.shrinkage).toBeCloseTo(expectedDelta, 12);
    const rc = riskContributions(shrunk, ids.map((id) => d.finalWeights[id] as number));
    const mean = rc.reduce((a, b) => a + b, 0) / rc.length;
    for (const x of rc) expect(Math.abs(x - mean) / mean).toBeLessThan(1e-8);
  });

  it('aligns strategies by bar time over their common most recent window', () => {
    const a = new StrategyPerformance('a');
    const b = new StrategyPerformance('b');
    [100, 101, 99, 102, 103].forEach((v, i) => a.update(t(i), v));
    [50, 51, 52, 50].forEach((v, i) => b.update(t(i + 1), v));
    const aligned = alignReturns([{ id: 'a', perf: a }, { id: 'b', perf: b }]);
    expect(aligned.map((s) => s.length)).toEqual([3, 3]);
    expect(aligned[0]?.[0]).toBeCloseTo(99 / 101 - 1, 14);
    expect(aligned[1]?.[0]).toBeCloseTo(51 / 50 - 1, 14);
  });

  it('falls back to inverse volatility, reported, when the common window is shorter than two returns', () => {
    const a = new StrategyPerformance('a', { annualization: 1 });
    const b = new StrategyPerformance('b', { annualization: 1 });
    [100, 110, 99].forEach((v, i) => a.update(t(i), v));
    [100, 120, 96].forEach((v, i) => b.update(t(i + 10), v));
    const d = new RiskParityAllocation({ method: 'equal-risk-contribution' }).decide({ a, b });
    expect(d.solver?.status).toBe('fallback');
    const iv = new RiskParityAllocation().calculateAllocations({ a, b });
    expect(d.finalWeights.a).toBeCloseTo(iv.a as number, 12);
  });
});

describe('KellyCriterionAllocation', () => {
  const a = fromReturns('a', [0.3, -0.1, 0.3, -0.1]); // μ 0.1, σ² 0.16/3 → half-Kelly 0.9375
  const b = fromReturns('b', [0.2, 0, 0.2, 0]); // μ 0.1, σ² 0.04/3 → half-Kelly 3.75
  const c = fromReturns('c', [-0.1, 0, -0.1, 0]); // μ < 0 → 0

  it('scales fractions that sum above 1 down proportionally, not to equal weights (B11)', () => {
    const d = new KellyCriterionAllocation({ fraction: 0.5 }).decide({ a, b, c });
    expect(d.inputs.a?.kellyFraction).toBeCloseTo(0.9375, 9);
    expect(d.inputs.b?.kellyFraction).toBeCloseTo(3.75, 9);
    expect(d.finalWeights.a).toBeCloseTo(0.2, 9);
    expect(d.finalWeights.b).toBeCloseTo(0.8, 9);
    expect(d.finalWeights.c).toBe(0);
  });

  it('keeps fractions that sum below 1, the rest in the reserve, so the fraction matters', () => {
    expect(new KellyCriterionAllocation({ fraction: 0.1 }).calculateAllocations({ a }).a).toBeCloseTo(0.1875, 9);
    expect(new KellyCriterionAllocation({ fraction: 0.05 }).calculateAllocations({ a }).a).toBeCloseTo(0.09375, 9);
  });

  it('puts everything in the reserve when every strategy loses, and gives 0 to fewer than two returns', () => {
    const w = new KellyCriterionAllocation().calculateAllocations({ c, d: fromReturns('d', [-0.2, 0.1]), e: fromReturns('e', [0.5]) });
    expect(w).toEqual({ c: 0, d: 0, e: 0 });
  });

  it('floors the variance of a zero-volatility strategy and caps a single strategy at 1', () => {
    const flat = fromReturns('f', [0.01, 0.01, 0.01]);
    const d = new KellyCriterionAllocation({ fraction: 0.5, minVariance: 0.1 }).decide({ f: flat });
    expect(d.inputs.f?.variance).toBe(0);
    expect(d.inputs.f?.kellyFraction).toBeCloseTo((0.5 * 0.01) / 0.1, 9);
    expect(new KellyCriterionAllocation().calculateAllocations({ b }).b).toBeCloseTo(1, 12);
  });
});

describe('DrawdownBasedAllocation', () => {
  const atPeak = StrategyPerformance.fromValues('a', [100, 105, 110]);
  const inDrawdown = StrategyPerformance.fromValues('b', [100, 110, 99]);
  const recovering = StrategyPerformance.fromValues('c', [100, 120, 90, 108]);
  const beyond = StrategyPerformance.fromValues('d', [100, 70]);

  it('scores 1/(1+|DD|), a bonus while recovering, and cuts strategies beyond the threshold to their minimum', () => {
    const algo = new DrawdownBasedAllocation({ maxDrawdownThreshold: 0.2, recoveryBonus: 0.1 });
    const d = algo.decide({ a: atPeak, b: inDrawdown, c: recovering, d: beyond });
    const total = 1 + 1 / 1.1 + 1 + 0;
    expect(d.finalWeights.a).toBeCloseTo(1 / total, 9);
    expect(d.finalWeights.b).toBeCloseTo(1 / 1.1 / total, 9);
    expect(d.finalWeights.c).toBeCloseTo(1 / total, 9);
    expect(d.finalWeights.d).toBe(0);
    expect(d.inputs.c?.recovering).toBe(1);
    expect(d.inputs.d?.cut).toBe(1);
    const withMin = new DrawdownBasedAllocation({}, new AllocationConstraints({ defaultMin: 0.05 })).calculateAllocations({ a: atPeak, d: beyond });
    expect(withMin.d).toBe(0.05);
    expect(withMin.a).toBeCloseTo(0.95, 12);
  });

  it('ends the bonus at a new peak and while near the trough (not permanent, B13)', () => {
    const algo = new DrawdownBasedAllocation();
    const newPeak = StrategyPerformance.fromValues('e', [100, 120, 90, 130]);
    const nearTrough = StrategyPerformance.fromValues('f', [100, 120, 90, 93]);
    const d = algo.decide({ e: newPeak, f: nearTrough });
    expect(d.inputs.e?.recovering).toBe(0);
    expect(d.inputs.f?.recovering).toBe(0);
  });

  it('sends everything to the reserve when every strategy is beyond the threshold; one strategy at peak gets 1', () => {
    const algo = new DrawdownBasedAllocation({ maxDrawdownThreshold: 0.1 });
    expect(algo.calculateAllocations({ d: beyond, b: StrategyPerformance.fromValues('b', [100, 80]) })).toEqual({ b: 0, d: 0 });
    expect(algo.calculateAllocations({ a: atPeak })).toEqual({ a: 1 });
    expect(algo.calculateAllocations({ n: StrategyPerformance.fromValues('n', [100]) })).toEqual({ n: 1 });
  });
});

describe('SharpeProportionalAllocation', () => {
  it('weights in proportion to positive Sharpe; negative or undefined Sharpe gets 0', () => {
    const w = new SharpeProportionalAllocation().calculateAllocations({
      a: fromReturns('a', [0.1, 0.3]),
      b: fromReturns('b', [-0.1, 0.1]),
      c: fromReturns('c', [0.1, 0.2]),
      d: fromReturns('d', [-0.1, -0.2]),
      e: fromReturns('e', [0.4]),
    });
    expect(w.a).toBeCloseTo(0.4, 9);
    expect(w.c).toBeCloseTo(0.6, 9);
    expect(w.b).toBeCloseTo(0, 9);
    expect(w.d).toBe(0);
    expect(w.e).toBe(0);
  });

  it('puts everything in the reserve when every strategy loses; one positive strategy gets 1', () => {
    const algo = new SharpeProportionalAllocation();
    expect(algo.calculateAllocations({ d: fromReturns('d', [-0.1, -0.2]) })).toEqual({ d: 0 });
    expect(algo.calculateAllocations({ a: fromReturns('a', [0.1, 0.3]) })).toEqual({ a: 1 });
  });
});

describe('decisions and the config factory', () => {
  it('explains a decision: inputs, raw and final weights, binding constraints', () => {
    const algo = createAllocationAlgorithm({ algorithm: 'risk-parity', params: { method: 'inverse-volatility' }, constraints: { defaultMax: 0.6 } });
    const d = algo.decide({ a: fromReturns('a', [0.1, -0.1, 0.1, -0.1]), b: fromReturns('b', [0.2, -0.2, 0.2, -0.2]) });
    expect(d.rawWeights.a).toBeCloseTo(2 / 3, 9);
    expect(d.finalWeights).toEqual({ a: 0.6, b: expect.closeTo(0.4, 12) });
    expect(d.bindingConstraints).toEqual(['max(a)=0.6']);
    expect(d.inputs.a?.volatility).toBeCloseTo(Math.sqrt(0.04 / 3), 9);
    expect(algo.name).toBe('risk-parity');
    expect(algo.parameters).toMatchObject({ method: 'inverse-volatility', constraints: { defaultMax: 0.6 } });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('builds every algorithm by name', () => {
    expect(createAllocationAlgorithm({ algorithm: 'fixed', params: { allocations: { a: 0.5 } } })).toBeInstanceOf(FixedAllocation);
    expect(createAllocationAlgorithm({ algorithm: 'dynamic' })).toBeInstanceOf(DynamicAllocation);
    expect(createAllocationAlgorithm({ algorithm: 'kelly', params: { fraction: 0.25 } })).toBeInstanceOf(KellyCriterionAllocation);
    expect(createAllocationAlgorithm({ algorithm: 'drawdown' })).toBeInstanceOf(DrawdownBasedAllocation);
    expect(createAllocationAlgorithm({ algorithm: 'sharpe' })).toBeInstanceOf(SharpeProportionalAllocation);
  });

  it.each([
    [{ algorithm: 'magic' }, 'algorithm'],
    [{ algorithm: 'kelly', params: { fraction: 2 } }, 'params.fraction'],
    [{ algorithm: 'kelly', params: { fractoin: 0.5 } }, 'params.fractoin'],
    [{ algorithm: 'risk-parity', params: { method: 'hrp' } }, 'params.method'],
    [{ algorithm: 'dynamic', params: { lookback: 0 } }, 'params.lookback'],
    [{ algorithm: 'fixed' }, 'params.allocations'],
    [{ algorithm: 'sharpe', constraints: { maxWeight: 0.5 } }, 'constraints.maxWeight'],
    [{ algorithm: 'sharpe', constraints: { defaultMax: 1.5 } }, 'constraints.defaultMax'],
    [{ algorithm: 'sharpe', constraints: { maxStrategies: 0 } }, 'constraints.maxStrategies'],
  ])('rejects %j with a ConfigError naming %s', (spec, field) => {
    try {
      createAllocationAlgorithm(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
      expect((e as Error).message).toContain(field);
    }
  });
});
