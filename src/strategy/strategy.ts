// The contract between strategy code and the engine: a plain object that reads its own context and asks for orders.
import type { Dec, DecString } from '../money/decimal.js';
import type { BarSlice } from '../market/bar.js';
import type { LedgerView } from '../ledger/types.js';

/** JSON-safe parameter values of a strategy, as written in a portfolio config. */
export type StrategyParams = Readonly<Record<string, unknown>>;

/** A request to trade: signed quantity (buy > 0, sell < 0) of one symbol, at market. */
export interface OrderIntent {
  readonly symbol: string;
  readonly quantity: Dec;
}

/** Bounded, per-symbol rolling history of closing prices (O(1) per bar; never the whole past). */
export interface PriceHistory {
  /** Capacity: how many closes are kept per symbol. */
  readonly capacity: number;
  /** The last `n` closes of `symbol`, oldest first (fewer when fewer are known). */
  closes(symbol: string, n?: number): readonly number[];
  /** Latest close of `symbol` as a Decimal, or undefined when it never traded. */
  lastClose(symbol: string): Dec | undefined;
  /** Symbols seen so far, ascending. */
  symbols(): readonly string[];
}

/** What strategy code sees at each call: only its own ledger, its parameters, history and order helpers. */
export interface StrategyContext<P extends StrategyParams = StrategyParams> {
  readonly strategyId: string;
  readonly params: P;
  /** Bar time of the current slice (ISO-8601 UTC). */
  readonly time: string;
  /** How many slices the portfolio has processed before this one (0 on the first). */
  readonly barIndex: number;
  readonly ledger: LedgerView;
  readonly history: PriceHistory;
  /**
   * The strategy's own accepted orders still waiting to fill (fill mode `next-open`: an order decided on one bar fills
   * at the next bar's open, so on that next bar it is not in the ledger yet). Empty when nothing waits.
   */
  readonly pendingOrders: readonly OrderIntent[];
  /**
   * Net capital moved to (+) or from (−) the strategy since its call in the previous slice: its initial allocation in
   * its first slice (in `init` and in the first `onBar` alike), a rebalance's transfer on the call after it. Zero when
   * nothing moved.
   */
  readonly capitalMoved: Dec;
  /** What the strategy will hold of `symbol` once its waiting orders fill: the ledger's quantity plus the pending ones. */
  expectedQuantity(symbol: string): Dec;
  /** Buys (qty > 0) or sells (qty < 0) `quantity` units. */
  order(symbol: string, quantity: Dec | DecString | number): void;
  /** Trades `value` of base currency worth of `symbol` at the latest close (whole units, rounded towards zero). */
  orderValue(symbol: string, value: Dec | DecString | number): void;
  /** Trades to hold `value` worth of `symbol` (whole units, rounded towards zero), counting waiting orders as held. */
  orderTargetValue(symbol: string, value: Dec | DecString | number): void;
  /** Trades to hold `percent` (0.25 = 25%) of the strategy's value in `symbol`, counting waiting orders as held. */
  orderTargetPercent(symbol: string, percent: Dec | DecString | number): void;
  /**
   * Buys or sells the quantity the strategy's configured position sizer gives for `symbol` at its latest close
   * (risk-based, portfolio-weight or beta; `stopPrice` for risk-based sizing), less what waiting orders on the same
   * side already ask for (so a strategy that repeats the call while its order waits does not order twice).
   * Throws when no sizer is configured.
   */
  orderSized(symbol: string, side: 'buy' | 'sell', options?: { readonly stopPrice?: Dec | DecString }): void;
}

/**
 * A trading strategy. It must keep no state of its own between calls: everything it
 * decides from comes from the context, so that recovery from the event log is exact.
 */
export interface Strategy<P extends StrategyParams = StrategyParams> {
  readonly name: string;
  /** Called once, when the strategy starts (before its first bar). */
  init?(ctx: StrategyContext<P>): void;
  /** Called for every slice while the strategy runs; may call the ctx order helpers and/or return intents. */
  onBar(ctx: StrategyContext<P>, slice: BarSlice): void | readonly OrderIntent[];
}
