// What every built-in shares: the shape it returns, the symbols it may trade on a slice, and its history check.
import { ConfigError } from '../../errors.js';
import type { BarSlice } from '../../market/bar.js';
import type { HistoryDemand } from '../priceHistory.js';
import type { Strategy, StrategyContext } from '../strategy.js';
import type { Dec } from '../../money/decimal.js';

/** A built-in strategy: a plain object that also declares how many closes per symbol it reads. */
export type BuiltinStrategy = Strategy & HistoryDemand;

/** Symbols the strategy may trade on `slice`: those traded in it (restricted to `symbols` when given), ascending. */
export function tradedUniverse(slice: BarSlice, symbols: readonly string[] | undefined): readonly string[] {
  const traded = Object.keys(slice.bars).sort();
  if (symbols === undefined) return traded;
  const wanted = new Set(symbols);
  return traded.filter((s) => wanted.has(s));
}

/**
 * Fails when the engine keeps fewer closes per symbol than the strategy needs, instead of never trading.
 * @throws ConfigError naming the strategy kind and both lengths.
 */
export function requireHistory(kind: string, ctx: StrategyContext, needed: number): void {
  if (ctx.history.capacity < needed) {
    throw new ConfigError(
      `${kind} (strategy ${ctx.strategyId}) needs ${needed} closes per symbol but the price history keeps ${ctx.history.capacity}; raise the history capacity`,
      'historyCapacity',
    );
  }
}

/** Sells every holding that trades in `slice` and is not in `keep`, in ascending symbol order (held but untraded stays). */
export function sellUnpicked(ctx: StrategyContext, slice: BarSlice, keep: (symbol: string) => boolean): void {
  const held = new Set([...ctx.ledger.positions.keys(), ...ctx.pendingOrders.map((o) => o.symbol)]);
  for (const symbol of [...held].sort()) {
    if (!keep(symbol) && slice.bars[symbol] !== undefined && !ctx.expectedQuantity(symbol).isZero()) ctx.orderTargetValue(symbol, 0);
  }
}

/** Default of `resizeTolerance`: a position is re-sized once it is more than 10% away from its target value. */
export const DEFAULT_RESIZE_TOLERANCE = 0.1;

/**
 * Whether a held position should be re-sized to `fraction` of the strategy's current value: capital moved in or out
 * since the last call, or the position (counting waiting orders) is more than `tolerance` of its target away from it.
 */
export function needsResize(ctx: StrategyContext, symbol: string, fraction: Dec, tolerance: number): boolean {
  if (!ctx.capitalMoved.isZero()) return true;
  const price = ctx.history.lastClose(symbol);
  if (price === undefined) return false;
  const target = ctx.ledger.value().times(fraction);
  if (target.isZero()) return false;
  const held = ctx.expectedQuantity(symbol).times(price);
  return held.minus(target).abs().gt(target.abs().times(tolerance));
}
