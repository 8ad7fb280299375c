// The portfolio's state as plain data (beside each strategy's own book): what the decide steps read and evolve folds.
import { ZERO, type Dec, type DecString } from '../money/decimal.js';
import { RollingPriceHistory } from '../strategy/priceHistory.js';
import { StrategyPerformance, transferNeutralReturn, type BarReturn } from '../performance/strategyPerformance.js';
import type { Weights } from '../allocation/types.js';
import { dictionary } from '../collections/dictionary.js';
import { GENESIS_HASH } from '../../events/envelope.js';

/** A strategy as the portfolio tracks it: what it was added with and its return history (its book is its own). */
export interface StrategyRecord {
  readonly id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly minAllocation: number | null;
  readonly maxAllocation: number | null;
  /** The allocation it was added with (StrategyAdded's allocationPct): the weight it restarts at when re-admitted. */
  readonly allocation: number;
  readonly performance: StrategyPerformance;
  /** Net capital moved in (+) or out (−) since the last BarMarked. */
  flowSinceMark: Dec;
  /** Of `flowSinceMark`, what moved before the strategy's call in the slice (its initial allocation). */
  flowBeforeCall: Dec;
  /** Of `flowSinceMark`, what moved before the slice's execution (the base of its return; see transferBeforeExecution). */
  flowBeforeExecution: Dec;
  /** Net capital moved in the previous slice after the strategy's call (set at each BarMarked). */
  flowAfterLastCall: Dec;
  /** Value at the last BarMarked as recorded there (zero before its first: it starts from nothing); parsed only when a flow is added to it. */
  lastValue: DecString;
  /** `lastValue` as the nearest number (returns are statistics). */
  lastValueNumber: number;
  /** Growth index of the strategy's returns (transfers excluded) and its running peak, for the drawdown limit. */
  navIndex: number;
  navPeak: number;
  /** Set by a removal request (recorded in the lifecycle change it causes); the strategy is removed once flat. */
  pendingRemoval: { readonly liquidate: boolean } | null;
  removed: boolean;
  /** Sum of cash ÷ value over the marks that valued it above zero, and their count (its average cash fraction). */
  cashFractionSum: number;
  cashFractionMarks: number;
  /** The deepest drawdown the limit measured at a mark (0 or negative), for the summary's risk check. */
  worstDrawdown: number;
  /** Why and since when the strategy is paused (from the lifecycle change that paused it); null when not paused. */
  pause: PauseRecord | null;
  /** The first of the marks, up to the last, that valued it at exactly zero (it holds nothing); null when it holds something. */
  emptySince: EmptySince | null;
}

/** Since when a strategy has held nothing: the slice index and bar time of the first mark that valued it at zero. */
export interface EmptySince {
  readonly sinceBar: number;
  readonly sinceTime: string;
}

/** A pause as the log records it: the lifecycle change's reason, the slice index and bar time it happened at. */
export interface PauseRecord {
  readonly reason: string;
  readonly sinceBar: number;
  readonly sinceTime: string | null;
}

/** The reason prefix of a pause by the drawdown limit (only such a pause has a resume rule). */
export const DRAWDOWN_PAUSE = 'risk: drawdown';
/** The reason prefix of a resume by the drawdown rule. */
export const DRAWDOWN_RESUME = 'risk: resumed';

/** An accepted order waiting for the next slice's open (fill mode `next-open`). */
export interface PendingOrder {
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: Dec;
}

/** Running totals of what netting saved. */
export interface NettingTotals {
  grossTradedValue: Dec;
  netTradedValue: Dec;
  commissionSaved: Dec;
}

/** The settings evolve needs from the config (fixed for the life of a stream). */
export interface StateSettings {
  readonly fillAt: 'close' | 'next-open';
  readonly lookback: number;
  readonly historyCapacity: number;
  /** Bars a year, the allocation algorithms' annualisation factor (absent: 252, as for daily bars). */
  readonly barsPerYear?: number;
}

/**
 * The portfolio's state after some event. It is owned by the fold: {@link evolve} updates it in place and returns it,
 * so that a slice costs no copy of the price history or of the strategies' return windows.
 */
export interface PortfolioState {
  readonly portfolioId: string;
  readonly settings: StateSettings;
  opened: boolean;
  totalCapital: Dec;
  reserve: Dec;
  barIndex: number;
  lastBarTime: string | null;
  targetWeights: Weights;
  rebalanceCount: number;
  /** Bar time of the last rebalance (the configured allocation counts as one, at the first slice). */
  lastRebalanceTime: string | null;
  readonly netting: NettingTotals;
  readonly marks: Map<string, Dec>;
  history: RollingPriceHistory;
  pendingOrders: PendingOrder[];
  readonly strategies: Map<string, StrategyRecord>;
  /** Ids of strategies not yet removed, ascending (kept sorted by evolve: every step iterates it). */
  activeIds: readonly string[];
  /** Revision and hash of the last event folded in. */
  nextRevision: number;
  prevHash: string;
}

/** The state of a portfolio before its first event. */
export function initialState(portfolioId: string, settings: StateSettings): PortfolioState {
  return {
    portfolioId,
    settings,
    opened: false,
    totalCapital: ZERO,
    reserve: ZERO,
    barIndex: 0,
    lastBarTime: null,
    targetWeights: dictionary(),
    rebalanceCount: 0,
    lastRebalanceTime: null,
    netting: { grossTradedValue: ZERO, netTradedValue: ZERO, commissionSaved: ZERO },
    marks: new Map(),
    history: new RollingPriceHistory(settings.historyCapacity),
    pendingOrders: [],
    strategies: new Map(),
    activeIds: [],
    nextRevision: 0,
    prevHash: GENESIS_HASH,
  };
}

/** A new strategy's record. */
export function newStrategyRecord(
  id: string,
  kind: string,
  params: Readonly<Record<string, unknown>>,
  minAllocation: number | null,
  maxAllocation: number | null,
  allocation: number,
  settings: Pick<StateSettings, 'lookback' | 'barsPerYear'>,
): StrategyRecord {
  const performance = new StrategyPerformance(id, { lookback: settings.lookback, annualization: settings.barsPerYear });
  performance.start(0);
  // It starts from nothing: the transfer that funds it is its first flow, so its first slice has a return.
  return { id, kind, params, minAllocation, maxAllocation, allocation, performance, flowSinceMark: ZERO, flowBeforeCall: ZERO, flowBeforeExecution: ZERO, flowAfterLastCall: ZERO, lastValue: '0', lastValueNumber: 0, navIndex: 1, navPeak: 1, pendingRemoval: null, removed: false, pause: null, emptySince: null, cashFractionSum: 0, cashFractionMarks: 0, worstDrawdown: 0 };
}

/**
 * Net capital moved to (+) or from (−) a strategy since its call in the previous slice, read at its call in this one:
 * what moved after that call (rebalance transfers, liquidation cover) plus what moved in this slice before the call
 * (its initial allocation). Derived from the log alone, so a resumed run sees the same figure.
 */
export function capitalMovedSinceCall(record: StrategyRecord): Dec {
  return record.flowAfterLastCall.plus(record.flowSinceMark);
}

/** The strategy's return since its last mark if it were valued at `valueNumber` now (see transferNeutralReturn), or null. */
export function returnSinceMark(record: StrategyRecord, valueNumber: number): BarReturn | null {
  // Most slices move no capital: nothing to split (transfers that net to zero still split: one may precede execution).
  if (record.flowSinceMark.isZero() && record.flowBeforeExecution.isZero()) return transferNeutralReturn(record.lastValueNumber, valueNumber, 0, 0);
  const before = record.flowBeforeExecution;
  return transferNeutralReturn(record.lastValueNumber, valueNumber, before.toNumber(), record.flowSinceMark.minus(before).toNumber());
}
