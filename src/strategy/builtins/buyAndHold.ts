// Built-in buy-and-hold: invest equal weights once, then hold.
import { ONE } from '../../money/decimal.js';
import type { StrategyParams } from '../strategy.js';
import { ParameterReader } from './parameters.js';
import { tradedUniverse, type BuiltinStrategy } from './universe.js';

/** Validated parameters of buy-and-hold. */
export interface BuyAndHoldParams {
  /** Symbols to hold in equal weights; absent: every symbol of the first bar it trades on. */
  readonly symbols: readonly string[] | undefined;
}

/**
 * Reads buy-and-hold parameters: `symbols` (optional list).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function buyAndHoldParams(params: StrategyParams): BuyAndHoldParams {
  const read = new ParameterReader('buy-and-hold', params);
  read.onlyKnown(['symbols']);
  return { symbols: read.symbols('symbols') };
}

/**
 * Buy-and-hold: with `symbols`, buys 1/N of its value in each listed symbol it does not hold yet, on the
 * first bar that symbol trades; without, when it holds nothing it buys 1/N of every symbol in the slice.
 * It never sells. Stateless: "not bought yet" is read from the ledger.
 * @throws ConfigError naming the invalid parameter.
 */
export function createBuyAndHoldStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const { symbols } = buyAndHoldParams(params);
  return {
    name: 'buy-and-hold',
    historyLength: 1,
    onBar(ctx, slice) {
      if (symbols === undefined) {
        if (ctx.ledger.positions.size > 0 || ctx.pendingOrders.length > 0) return;
        const traded = tradedUniverse(slice, undefined);
        if (traded.length === 0) return;
        const weight = ONE.div(traded.length);
        for (const symbol of traded) ctx.orderTargetPercent(symbol, weight);
        return;
      }
      const weight = ONE.div(symbols.length);
      for (const symbol of tradedUniverse(slice, symbols)) {
        if (ctx.expectedQuantity(symbol).isZero()) ctx.orderTargetPercent(symbol, weight);
      }
    },
  };
}
