// MipAllocation between strategies and the scored-universe strategy built on the base optimiser.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import type { LedgerView, Position } from '../src/ledger/types.js';
import type { BarSlice } from '../src/market/bar.js';
import { dec, type Dec } from '../src/money/decimal.js';
import { MipAllocation } from '../src/optimiser/mipAllocation.js';
import type { SyncOptimiserBackend } from '../src/optimiser/optimise.js';
import { StrategyPerformance } from '../src/performance/strategyPerformance.js';
import { RollingPriceHistory } from '../src/strategy/priceHistory.js';
import { createStrategyContext } from '../src/strategy/strategyContext.js';
import { scoredUniverseStrategy } from '../src/strategy/builtins/scoredUniverse.js';
import * as packageRoot from '../src/index.js';

/** Values with per-period returns r1, r2, … starting from 100. */
function series(returns: readonly number[]): number[] {
  const out = [100];
  for (const r of returns) out.push((out[out.length - 1] ?? 0) * (1 + r));
  return out;
}

describe('MipAllocation', () => {
  const perfs = {
    alpha: StrategyPerformance.fromValues('alpha', series([0.01, 0.02, 0.01, 0.02])),
    beta: StrategyPerformance.fromValues('beta', series([0.01, -0.01, 0.02, 0.0])),
    gamma: StrategyPerformance.fromValues('gamma', series([0.03, -0.02, 0.03, -0.01])),
    delta: StrategyPerformance.fromValues('delta', series([-0.01, -0.02, 0.0, -0.01])),
  };

  it('funds the best maxStrategies by Sharpe, the best at maxWeight and the next with the rest', () => {
    const sharpe = Object.fromEntries(Object.entries(perfs).map(([id, p]) => [id, p.sharpe]));
    // alpha has the highest Sharpe (steady gains), then beta or gamma: read the order from the statistic itself.
    const ranked = Object.keys(sharpe).filter((id) => (sharpe[id] ?? 0) > 0).sort((a, b) => (sharpe[b] ?? 0) - (sharpe[a] ?? 0));
    expect(ranked[0]).toBe('alpha');
    const decision = new MipAllocation({ maxStrategies: 2, maxWeight: 0.7 }).decide(perfs);
    const expected: Record<string, number> = { alpha: 0, beta: 0, delta: 0, gamma: 0 };
    expected[ranked[0] ?? ''] = 0.7;
    expected[ranked[1] ?? ''] = 0.3;
    expect(decision.finalWeights).toEqual(expected);
    expect(decision.bindingConstraints).toEqual(['maxStrategies=2', 'max(alpha)=0.7', 'total=1']);
    expect(decision.solver?.name).toBe('javascript-lp-solver');
    expect(decision.solver?.objective).toBeCloseTo(0.7 * (sharpe[ranked[0] ?? ''] ?? 0) + 0.3 * (sharpe[ranked[1] ?? ''] ?? 0), 9);
    expect(decision.inputs['delta']).toEqual({ sharpe: perfs.delta.sharpe, count: 4 });
  });

  it('scores by mean return when asked', () => {
    const weights = new MipAllocation({ score: 'meanReturn', maxStrategies: 1, maxWeight: 0.5 }).calculateAllocations(perfs);
    const means = Object.entries(perfs).map(([id, p]) => [id, p.meanReturn] as const).sort((a, b) => b[1] - a[1]);
    expect(weights[means[0]?.[0] ?? '']).toBe(0.5);
    expect(Object.values(weights).reduce((s, w) => s + w, 0)).toBe(0.5);
  });

  it('leaves everything in reserve when every strategy is losing', () => {
    const losing = { a: StrategyPerformance.fromValues('a', series([-0.01, -0.02, -0.01])) };
    const decision = new MipAllocation().decide(losing);
    expect(decision.finalWeights).toEqual({ a: 0 });
    expect(decision.solver).toBeNull();
  });

  it('does not fund a strategy whose statistic is undefined (fewer than two returns)', () => {
    const decision = new MipAllocation({ maxWeight: 0.6 }).decide({
      young: StrategyPerformance.fromValues('young', [100, 101]),
      old: StrategyPerformance.fromValues('old', series([0.01, 0.02, 0.01])),
    });
    expect(decision.inputs['young']).toEqual({ sharpe: null, count: 1 });
    expect(decision.finalWeights).toEqual({ old: 0.6, young: 0 });
  });

  it('gives a single strategy its maxWeight', () => {
    expect(new MipAllocation({ maxWeight: 0.8 }).calculateAllocations({ solo: perfs.alpha })).toEqual({ solo: 0.8 });
  });

  it('snaps solver dust onto the bounds so every bound holds exactly', () => {
    const dusty: SyncOptimiserBackend = {
      name: 'dusty',
      solve: (p) => ({ kind: 'solved', status: 'optimal', objective: 0, gap: 0, point: { weights: p.symbols.map((_, i) => (i === 0 ? 0.6000000000004 : 0.3999999999999)) } }),
    };
    const w = new MipAllocation({ maxWeight: 0.6 }, dusty).calculateAllocations({ a: perfs.alpha, b: perfs.beta });
    expect(w['a']).toBe(0.6);
    expect((w['a'] ?? 0) + (w['b'] ?? 0)).toBeLessThanOrEqual(1);
  });

  it.each([
    [{ maxStrategies: 0 }, 'maxStrategies'],
    [{ maxWeight: 1.2 }, 'maxWeight'],
    [{ minWeight: 0.5, maxWeight: 0.4 }, 'minWeight'],
    [{ score: 'alpha' as 'sharpe' }, 'score'],
  ])('rejects %j with a ConfigError naming the option', (options, field) => {
    expect(() => new MipAllocation(options)).toThrow(expect.objectContaining({ field }) as Error);
  });
});

function slice(time: string, closes: Record<string, string>): BarSlice {
  const bars = Object.fromEntries(
    Object.entries(closes).map(([symbol, close]) => [symbol, { symbol, open: close, high: close, low: close, close, volume: '1' }]),
  );
  return { time, bars };
}

function ledger(cash: string, holdings: Record<string, string>, marks: Record<string, string>): LedgerView {
  const positions = new Map<string, Position>(
    Object.entries(holdings).map(([symbol, q]) => [symbol, { symbol, quantity: dec(q), avgCost: dec(marks[symbol] ?? '1'), realizedPnl: dec('0') }]),
  );
  return {
    cash: dec(cash),
    positions,
    quantity: (s) => positions.get(s)?.quantity ?? dec('0'),
    value: () => [...positions.values()].reduce((v: Dec, p) => v.plus(p.quantity.times(dec(marks[p.symbol] ?? '0'))), dec(cash)),
  };
}

describe('scored-universe strategy', () => {
  it('is importable from the package, as the other built-in kinds are, with its parameter reader', () => {
    expect(packageRoot.scoredUniverseStrategy).toBe(scoredUniverseStrategy);
    expect(packageRoot.scoredUniverseParams({})).toMatchObject({ score: 'trailing-return', lookback: 20, maxPositions: 5 });
  });

  const history = new RollingPriceHistory(10);
  const first = slice('2024-01-01T00:00:00.000Z', { A: '100', B: '50', C: '20', OLD: '10' });
  const last = slice('2024-01-02T00:00:00.000Z', { A: '110', B: '52', C: '19', OLD: '10' });
  history.push(first);
  history.push(last);

  function run(params: Record<string, unknown>, barIndex: number): Record<string, string> {
    const strategy = scoredUniverseStrategy(params);
    const call = createStrategyContext({
      strategyId: 's1',
      params,
      time: last.time,
      barIndex,
      ledger: ledger('9000', { OLD: '100' }, { OLD: '10' }),
      history,
    });
    const returned = strategy.onBar(call.ctx, last);
    return Object.fromEntries(call.drain(returned).map((i) => [i.symbol, i.quantity.toString()]));
  }

  it('holds the picks by trailing return with its own ledger value as capital and sells what it dropped', () => {
    // Capital 9000 + 100×10 = 10000. Returns: A +10%, B +4%, C −5%, OLD 0 → A and B at maxWeight 0.4 = 4000 each.
    expect(run({ lookback: 1, maxPositions: 3, maxWeight: 0.4, rebalanceEvery: 5 }, 10)).toEqual({ A: '36', B: '76', OLD: '-100' });
  });

  it('scores by inverse volatility', () => {
    const h = new RollingPriceHistory(10);
    for (const [i, closes] of [
      { X: '100', Y: '100' },
      { X: '101', Y: '110' },
      { X: '100', Y: '95' },
    ].entries()) h.push(slice(`2024-01-0${i + 1}T00:00:00.000Z`, closes));
    const params = { score: 'inverse-volatility', lookback: 2, maxPositions: 1, maxWeight: 0.5 };
    const call = createStrategyContext({ strategyId: 's', params, time: '2024-01-03T00:00:00.000Z', barIndex: 0, ledger: ledger('1000', {}, {}), history: h });
    scoredUniverseStrategy(params).onBar(call.ctx, slice('2024-01-03T00:00:00.000Z', { X: '100', Y: '95' }));
    // X is the calmer series; 0.5 × 1000 / 100 = 5 shares.
    expect(call.drain().map((i) => [i.symbol, i.quantity.toString()])).toEqual([['X', '5']]);
  });

  it('does nothing between rebalances', () => {
    expect(run({ lookback: 1, rebalanceEvery: 5 }, 11)).toEqual({});
  });

  it.each([
    [{ score: 'momentum' }, 'score'],
    [{ lookback: 0 }, 'lookback'],
    [{ maxWeight: 1.5 }, 'maxWeight'],
    [{ minWeight: 0.5, maxWeight: 0.2 }, 'minWeight'],
    [{ topN: 3 }, 'topN'],
  ])('rejects %j with a ConfigError naming the field', (params, field) => {
    try {
      scoredUniverseStrategy(params);
      expect.unreachable('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
  });
});
