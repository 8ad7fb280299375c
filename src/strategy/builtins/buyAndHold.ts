// Built-in buy-and-hold: invest equal weights, hold, and invest new cash across the holdings.
import { Dec, ONE, ZERO } from '../../money/decimal.js';
import type { StrategyContext, StrategyParams } from '../strategy.js';
import { ParameterReader } from './parameters.js';
import { DEFAULT_RESIZE_TOLERANCE, tradedUniverse, type BuiltinStrategy } from './universe.js';

/** Validated parameters of buy-and-hold. */
export interface BuyAndHoldParams {
  /** Symbols to hold in equal weights; absent: every symbol of the first bar it trades on. */
  readonly symbols: readonly string[] | undefined;
  /** Cash beyond this fraction of the strategy's value is invested across its holdings (default 0.1). */
  readonly resizeTolerance: number;
}

/**
 * Reads buy-and-hold parameters: `symbols` (optional list), `resizeTolerance` (default 0.1).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function buyAndHoldParams(params: StrategyParams): BuyAndHoldParams {
  const read = new ParameterReader('buy-and-hold', params);
  read.onlyKnown(['symbols', 'resizeTolerance']);
  return { symbols: read.symbols('symbols'), resizeTolerance: read.number('resizeTolerance', DEFAULT_RESIZE_TOLERANCE, 0) };
}

// Cash kept back when new cash is invested, for the commission and slippage of the purchases.
const COST_MARGIN = new Dec('0.995');

/**
 * Buy-and-hold: with `symbols`, buys 1/N of its value in each listed symbol it does not hold yet, on the
 * first bar that symbol trades; without, when it holds nothing it buys 1/N of every symbol in the slice.
 * Once invested, when capital moved in since its last call or its cash is more than `resizeTolerance` of its value,
 * it invests the cash across its holdings in proportion to their current values (it never sells: capital taken out
 * is raised by the rebalance's own sales). Stateless: "not bought yet" is read from the ledger and waiting orders.
 * @throws ConfigError naming the invalid parameter.
 */
export function createBuyAndHoldStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const { symbols, resizeTolerance } = buyAndHoldParams(params);
  return {
    name: 'buy-and-hold',
    historyLength: 1,
    onBar(ctx, slice) {
      if (symbols === undefined) {
        if (ctx.ledger.positions.size > 0 || ctx.pendingOrders.length > 0) {
          investCash(ctx, slice.bars, resizeTolerance);
          return;
        }
        const traded = tradedUniverse(slice, undefined);
        if (traded.length === 0) return;
        const weight = ONE.div(traded.length);
        for (const symbol of traded) ctx.orderTargetPercent(symbol, weight);
        return;
      }
      const weight = ONE.div(symbols.length);
      let buying = false;
      for (const symbol of tradedUniverse(slice, symbols)) {
        if (ctx.expectedQuantity(symbol).isZero()) {
          ctx.orderTargetPercent(symbol, weight);
          buying = true;
        }
      }
      if (!buying) investCash(ctx, slice.bars, resizeTolerance);
    },
  };
}

/** Spreads the strategy's cash over its holdings that trade in this slice, pro rata of their current values. */
function investCash(ctx: StrategyContext, bars: Readonly<Record<string, unknown>>, tolerance: number): void {
  // Orders still waiting to fill have a claim on the cash: invest only once they have filled.
  if (ctx.pendingOrders.length > 0) return;
  const cash = ctx.ledger.cash;
  if (!cash.isPositive() || cash.isZero()) return;
  const value = ctx.ledger.value();
  if (!ctx.capitalMoved.isPositive() || ctx.capitalMoved.isZero()) {
    if (!cash.gt(value.times(tolerance))) return;
  }
  const held: { symbol: string; value: Dec }[] = [];
  let total = ZERO;
  for (const symbol of [...ctx.ledger.positions.keys()].sort()) {
    const price = ctx.history.lastClose(symbol);
    const quantity = ctx.ledger.quantity(symbol);
    if (price === undefined || !quantity.isPositive() || !Object.hasOwn(bars, symbol)) continue;
    const worth = quantity.times(price);
    held.push({ symbol, value: worth });
    total = total.plus(worth);
  }
  if (total.isZero()) return;
  const spend = cash.times(COST_MARGIN);
  for (const h of held) ctx.orderValue(h.symbol, spend.times(h.value).div(total));
}
