// Per-strategy performance projection: every metric of src/metrics from returns net of capital transfers, in constant memory per strategy.
import {
  addReturn,
  compoundingNote,
  emptyReturnStats,
  resolveMetricOptions,
  summariseReturnStats,
  type MetricOptions,
  type MetricSummary,
  type ReturnStats,
} from '../src/metrics/index.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { emptyAccounts, type CapitalAccounts } from './capitalAccounts.js';

/** State of the performance projection. */
export interface PerformanceState {
  readonly accounts: CapitalAccounts;
  /** Running statistics per strategy, by id. */
  readonly strategies: ReadonlyMap<string, ReturnStats>;
  /** Running statistics of the whole portfolio's value (reserve included). */
  readonly portfolio: ReturnStats;
  /** Bar time of the last mark each strategy was valued at. */
  readonly lastReturnTime: string | null;
}

/** Metrics of one strategy. */
export interface StrategyMetrics extends MetricSummary {
  readonly strategyId: string;
  /** Why its total and annual return and drawdowns are undefined (a bar lost more than its whole value), else null. */
  readonly compoundingNote: string | null;
}

/** The working copy of the performance fold (a mutable statistics map the runner owns). */
export interface PerformanceWork {
  accounts: CapitalAccounts;
  readonly strategies: Map<string, ReturnStats>;
  portfolio: ReturnStats;
  lastReturnTime: string | null;
}

/** Performance projection: folds BarMarked returns into running statistics (the options are fixed for the fold; folded in place by the runner). */
export function performanceProjection(options: MetricOptions = {}): Projection<PerformanceState, PerformanceWork> {
  const resolved = resolveMetricOptions(options);
  const inPlace: InPlaceFold<PerformanceState, PerformanceWork> = {
    begin: (s) => ({ ...s, strategies: new Map(s.strategies) }),
    step(w, event, context) {
      const { accounts, returns, pnl, portfolioReturn, portfolioPnl } = context.accountsStep(w.accounts, event);
      w.accounts = accounts;
      if (!returns) return;
      for (const [id, r] of returns) w.strategies.set(id, addReturn(w.strategies.get(id) ?? emptyReturnStats(), r, resolved, pnl?.get(id) ?? Number.NaN));
      if (portfolioReturn !== null) w.portfolio = addReturn(w.portfolio, portfolioReturn, resolved, portfolioPnl ?? Number.NaN);
      w.lastReturnTime = event.metadata.barTime;
    },
    end: (w) => w,
  };
  return {
    name: 'performance',
    // 4: profit factor on money P&L (grossProfit, grossLoss) instead of returns.
    // 5: strategy returns split transfers before and after the slice's execution.
    // 6: equity NaN past a return below −100% (compound), where it went below zero and on.
    version: 6,
    fingerprint: JSON.stringify(resolved),
    init: () => ({ accounts: emptyAccounts(), strategies: new Map(), portfolio: emptyReturnStats(), lastReturnTime: null }),
    evolve: evolveByCopy(inPlace),
    inPlace,
  };
}

/** Every metric of every strategy that has added or been valued, ascending by id. */
export function strategyMetrics(state: PerformanceState, options: MetricOptions = {}): StrategyMetrics[] {
  const ids = new Set([...state.accounts.strategies.keys(), ...state.strategies.keys()]);
  return [...ids].sort().map((strategyId) => {
    const stats = state.strategies.get(strategyId) ?? emptyReturnStats();
    return { strategyId, ...summariseReturnStats(stats, options), compoundingNote: compoundingNote(stats) };
  });
}
