// Built-in cross-sectional momentum: hold the top N symbols by lookback return in equal weights, rebalanced on a bar schedule.
import { ONE } from '../../money/decimal.js';
import type { StrategyParams } from '../strategy.js';
import { windowReturn } from './closeStatistics.js';
import { ParameterReader } from './parameters.js';
import { requireHistory, sellUnpicked, tradedUniverse, type BuiltinStrategy } from './universe.js';

/** Validated parameters of momentum. */
export interface MomentumParams {
  /** Bars over which the return is measured (needs lookback + 1 closes). */
  readonly lookback: number;
  /** How many symbols to hold. */
  readonly topN: number;
  /** Rebalance on bars whose `barIndex` is a multiple of this. */
  readonly rebalanceEvery: number;
  /** Candidate symbols; absent: every symbol traded in the slice. */
  readonly symbols: readonly string[] | undefined;
}

/**
 * Reads momentum parameters: `lookback` (default 20), `topN` (default 3), `rebalanceEvery` (default 20), `symbols` (optional).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function momentumParams(params: StrategyParams): MomentumParams {
  const read = new ParameterReader('momentum', params);
  read.onlyKnown(['lookback', 'topN', 'rebalanceEvery', 'symbols']);
  return {
    lookback: read.integer('lookback', 20, 1),
    topN: read.integer('topN', 3, 1),
    rebalanceEvery: read.integer('rebalanceEvery', 20, 1),
    symbols: read.symbols('symbols'),
  };
}

/**
 * Momentum: on bars where `barIndex % rebalanceEvery === 0`, and on bars where capital moved in or out since its last call, ranks the traded candidates that have
 * `lookback + 1` closes by `last / first − 1` (ties by symbol), targets 1/k of its value in each of the
 * top k = min(topN, ranked) and sells every other holding that trades in the slice. Without a ranked candidate it does nothing.
 * @throws ConfigError naming the invalid parameter.
 */
export function createMomentumStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const p = momentumParams(params);
  const window = p.lookback + 1;
  return {
    name: 'momentum',
    historyLength: window,
    onBar(ctx, slice) {
      requireHistory('momentum', ctx, window);
      // Capital moved in or out re-sizes the picks at once, instead of waiting for the next ranking day.
      if (ctx.barIndex % p.rebalanceEvery !== 0 && ctx.capitalMoved.isZero()) return;
      const ranked: { symbol: string; score: number }[] = [];
      for (const symbol of tradedUniverse(slice, p.symbols)) {
        const closes = ctx.history.closes(symbol, window);
        if (closes.length < window) continue;
        const score = windowReturn(closes);
        if (Number.isFinite(score)) ranked.push({ symbol, score });
      }
      if (ranked.length === 0) return;
      ranked.sort((a, b) => b.score - a.score || (a.symbol < b.symbol ? -1 : 1));
      const chosen = ranked.slice(0, p.topN).map((r) => r.symbol);
      const weight = ONE.div(chosen.length);
      sellUnpicked(ctx, slice, (symbol) => chosen.includes(symbol));
      for (const symbol of chosen.sort()) ctx.orderTargetPercent(symbol, weight);
    },
  };
}
