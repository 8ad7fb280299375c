// Built-in scored universe: scores each symbol from its closes and holds the base optimiser's picks with the strategy's own capital.
import type { Dec } from '../../money/decimal.js';
import { optimiseBase } from '../../optimiser/optimise.js';
import type { Candidate } from '../../optimiser/types.js';
import type { StrategyParams } from '../strategy.js';
import { sampleStd, windowReturn } from './closeStatistics.js';
import { ParameterReader } from './parameters.js';
import { requireHistory, sellUnpicked, tradedUniverse, type BuiltinStrategy } from './universe.js';

/** How a symbol is scored from its last `lookback + 1` closes. */
export type UniverseScore = 'trailing-return' | 'inverse-volatility';

/** Validated parameters of the scored universe. */
export interface ScoredUniverseParams {
  readonly score: UniverseScore;
  /** Returns in the scoring window (needs lookback + 1 closes). */
  readonly lookback: number;
  /** Rebalance on bars whose `barIndex` is a multiple of this. */
  readonly rebalanceEvery: number;
  readonly maxPositions: number;
  readonly maxWeight: number;
  readonly minWeight: number;
  /** Candidate symbols; absent: every symbol traded in the slice. */
  readonly symbols: readonly string[] | undefined;
}

/**
 * Reads the parameters: `score` ('trailing-return' default, or 'inverse-volatility'), `lookback` (20), `rebalanceEvery` (20),
 * `maxPositions` (5), `maxWeight` (0.25), `minWeight` (0), `symbols` (optional).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function scoredUniverseParams(params: StrategyParams): ScoredUniverseParams {
  const read = new ParameterReader('scored-universe', params);
  read.onlyKnown(['score', 'lookback', 'rebalanceEvery', 'maxPositions', 'maxWeight', 'minWeight', 'symbols']);
  const scoreValue = params['score'] ?? 'trailing-return';
  if (scoreValue !== 'trailing-return' && scoreValue !== 'inverse-volatility') {
    throw read.invalid('score', '"trailing-return" or "inverse-volatility"', scoreValue);
  }
  const maxWeight = read.number('maxWeight', 0.25, 0, true);
  if (maxWeight > 1) throw read.invalid('maxWeight', 'a number in (0, 1]', maxWeight);
  const minWeight = read.number('minWeight', 0, 0);
  if (minWeight > maxWeight) throw read.invalid('minWeight', `a number in [0, maxWeight=${maxWeight}]`, minWeight);
  return {
    score: scoreValue,
    lookback: read.integer('lookback', 20, 1),
    rebalanceEvery: read.integer('rebalanceEvery', 20, 1),
    maxPositions: read.integer('maxPositions', 5, 1),
    maxWeight,
    minWeight,
    symbols: read.symbols('symbols'),
  };
}

function scoreOf(kind: UniverseScore, closes: readonly number[]): number {
  if (kind === 'trailing-return') return windowReturn(closes);
  const returns: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const prev = closes[i - 1] ?? 0;
    returns.push(prev === 0 ? Number.NaN : (closes[i] ?? 0) / prev - 1);
  }
  const vol = sampleStd(returns);
  // A flat series has no measurable risk; 1/0 would swamp every other score, so it is not scored.
  return vol > 0 ? 1 / vol : Number.NaN;
}

/**
 * Scored universe: on bars where `barIndex % rebalanceEvery === 0`, scores every traded candidate with `lookback + 1`
 * closes, solves the base MIP (max Σ score·w, at most maxPositions names, weights in [minWeight, maxWeight], Σw ≤ 1)
 * with javascript-lp-solver and the strategy's ledger value as capital, then sells every traded holding it did not
 * pick and targets each pick's dollar amount (whole units). Symbols with a non-positive or undefined score are not held.
 * @throws ConfigError naming the invalid parameter.
 */
export function scoredUniverseStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const p = scoredUniverseParams(params);
  const window = p.lookback + 1;
  return {
    name: 'scored-universe',
    historyLength: window,
    onBar(ctx, slice) {
      requireHistory('scored-universe', ctx, window);
      if (ctx.barIndex % p.rebalanceEvery !== 0) return;
      const candidates: Candidate[] = [];
      for (const symbol of tradedUniverse(slice, p.symbols)) {
        const closes = ctx.history.closes(symbol, window);
        const price = ctx.history.lastClose(symbol);
        if (closes.length < window || price === undefined || price.lte(0)) continue;
        const score = scoreOf(p.score, closes);
        if (Number.isFinite(score)) candidates.push({ symbol, score, price });
      }
      if (candidates.length === 0) return;
      const capital = ctx.ledger.value();
      if (capital.lte(0)) return;
      const result = optimiseBase(candidates, {
        capital,
        maxPositions: p.maxPositions,
        maxWeight: p.maxWeight,
        minWeight: p.minWeight,
        shares: 'floor',
      });
      const targets = new Map<string, Dec>(result.allocations.map((a) => [a.symbol, a.dollars]));
      sellUnpicked(ctx, slice, (symbol) => targets.has(symbol));
      for (const [symbol, dollars] of [...targets].sort((a, b) => (a[0] < b[0] ? -1 : 1))) ctx.orderTargetValue(symbol, dollars);
    },
  };
}
