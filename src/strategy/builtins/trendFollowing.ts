// Built-in trend following: a fast/slow moving-average crossover per symbol.
import { ONE, ZERO, type Dec } from '../../money/decimal.js';
import type { StrategyParams } from '../strategy.js';
import { mean } from './closeStatistics.js';
import { ParameterReader } from './parameters.js';
import { DEFAULT_RESIZE_TOLERANCE, needsResize, requireHistory, tradedUniverse, type BuiltinStrategy } from './universe.js';

/** Validated parameters of trend following. */
export interface TrendFollowingParams {
  /** Closes in the fast moving average. */
  readonly fast: number;
  /** Closes in the slow moving average (> fast). */
  readonly slow: number;
  /** Fraction of value per position; absent: 1/N of the candidate symbols. */
  readonly positionSize: Dec | undefined;
  readonly allowShort: boolean;
  readonly symbols: readonly string[] | undefined;
  /** A held position is re-sized when more than this fraction away from its target value (default 0.1). */
  readonly resizeTolerance: number;
}

/**
 * Reads trend-following parameters: `fast` (default 10, ≥ 1), `slow` (default 30, > fast),
 * `positionSize` (optional fraction), `allowShort` (default false), `symbols` (optional), `resizeTolerance` (default 0.1).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function trendFollowingParams(params: StrategyParams): TrendFollowingParams {
  const read = new ParameterReader('trend-following', params);
  read.onlyKnown(['fast', 'slow', 'positionSize', 'allowShort', 'symbols', 'resizeTolerance']);
  const fast = read.integer('fast', 10, 1);
  const slow = read.integer('slow', 30, 2);
  if (slow <= fast) throw read.invalid('slow', `greater than fast (${fast})`, slow);
  return {
    fast,
    slow,
    positionSize: read.fraction('positionSize'),
    allowShort: read.boolean('allowShort', false),
    symbols: read.symbols('symbols'),
    resizeTolerance: read.number('resizeTolerance', DEFAULT_RESIZE_TOLERANCE, 0),
  };
}

/**
 * Trend following: per traded candidate with `slow` closes, wants long `positionSize` when the fast mean is
 * above the slow mean, short when below and `allowShort`, flat otherwise (equal means are flat). The side held is read
 * from the ledger plus waiting orders. It trades when the wanted side differs from it, and re-sizes a held position
 * to `positionSize` of its current value when capital moved since its last call or the position is more than
 * `resizeTolerance` away from that target (so a position is not resized every bar, and new capital is invested).
 * @throws ConfigError naming the invalid parameter.
 */
export function createTrendFollowingStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const p = trendFollowingParams(params);
  return {
    name: 'trend-following',
    historyLength: p.slow,
    onBar(ctx, slice) {
      requireHistory('trend-following', ctx, p.slow);
      const universe = tradedUniverse(slice, p.symbols);
      if (universe.length === 0) return;
      const size = p.positionSize ?? ONE.div(p.symbols?.length ?? universe.length);
      for (const symbol of universe) {
        const closes = ctx.history.closes(symbol, p.slow);
        if (closes.length < p.slow) continue;
        const fast = mean(closes.slice(closes.length - p.fast));
        const slow = mean(closes);
        const wanted = fast > slow ? 1 : fast < slow && p.allowShort ? -1 : 0;
        const held = ctx.expectedQuantity(symbol);
        const side = held.isZero() ? 0 : held.isPositive() ? 1 : -1;
        const target = wanted === 0 ? ZERO : wanted > 0 ? size : size.neg();
        if (wanted === side && (wanted === 0 || !needsResize(ctx, symbol, target, p.resizeTolerance))) continue;
        ctx.orderTargetPercent(symbol, target);
      }
    },
  };
}
