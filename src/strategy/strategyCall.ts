// One call of strategy code (init or onBar) with containment: intents on success, the error message when it throws.
import type { Dec } from '../money/decimal.js';
import type { BarSlice } from '../market/bar.js';
import type { LedgerState } from '../ledger/types.js';
import { createLedgerView } from '../ledger/ledger.js';
import { createStrategyContext } from './strategyContext.js';
import type { OrderIntent, PriceHistory, Strategy, StrategyParams } from './strategy.js';
import type { PositionSizer } from '../sizing/positionSizer.js';
import { OrderError } from './orderErrors.js';

/** Outcome of a strategy call: its intents, or the error it threw (the engine records it and applies its fault policy). */
export type StrategyCallOutcome =
  | { readonly ok: true; readonly intents: readonly OrderIntent[] }
  | { readonly ok: false; readonly phase: 'init' | 'onBar'; readonly error: string };

/** What one strategy call reads. */
export interface StrategyCallArgs {
  readonly strategyId: string;
  readonly params: StrategyParams;
  readonly ledger: LedgerState;
  readonly slice: BarSlice;
  readonly barIndex: number;
  readonly history: PriceHistory;
  readonly markOf: (symbol: string) => Dec | undefined;
  /** Strategies' values at these marks, when the caller has them (else the ledger is valued with `markOf`). */
  readonly strategyValueOf?: (strategyId: string) => Dec;
  readonly sizer?: PositionSizer;
  /** The strategy's own accepted orders waiting to fill. */
  readonly pendingOrders?: readonly OrderIntent[];
  /** Net capital moved to (+) or from (−) the strategy since its previous call. */
  readonly capitalMoved?: Dec;
}

/** Calls `strategy.init` or `strategy.onBar` with a fresh context; never throws (a thrown error becomes the outcome). */
export function runStrategyCall(phase: 'init' | 'onBar', strategy: Strategy, args: StrategyCallArgs): StrategyCallOutcome {
  try {
    const valueOf = args.strategyValueOf;
    const call = createStrategyContext({
      strategyId: args.strategyId,
      params: args.params,
      time: args.slice.time,
      barIndex: args.barIndex,
      ledger: createLedgerView(args.ledger, args.markOf, valueOf && (() => valueOf(args.strategyId))),
      history: args.history,
      sizer: args.sizer,
      pendingOrders: args.pendingOrders,
      capitalMoved: args.capitalMoved,
    });
    const returned: unknown = phase === 'init' ? strategy.init?.(call.ctx) : strategy.onBar(call.ctx, args.slice);
    if (isPromiseLike(returned)) {
      // JavaScript code can hand over an async function. Whatever it does after its first await comes after the bar was
      // decided (its context is closed by then), and a rejection nobody handles would end the embedding process.
      call.drain();
      returned.then(undefined, () => undefined);
      throw new OrderError(`strategy ${args.strategyId}: ${phase} returned a promise: strategy code must be synchronous (an async ${phase} would act after its bar was decided)`, args.strategyId);
    }
    return { ok: true, intents: phase === 'init' ? call.drain() : call.drain(returned as Parameters<typeof call.drain>[0]) };
  } catch (e) {
    return { ok: false, phase, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
