// Per-strategy performance projection: every metric of src/metrics from returns net of capital transfers, in constant memory per strategy.
import {
  addReturn,
  emptyReturnStats,
  resolveMetricOptions,
  summariseReturnStats,
  type MetricOptions,
  type MetricSummary,
  type ReturnStats,
} from '../src/metrics/index.js';
import type { Projection } from './projection.js';
import { emptyAccounts, evolveAccounts, type CapitalAccounts } from './capitalAccounts.js';

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
}

/** Performance projection: folds BarMarked returns into running statistics (the options are fixed for the fold). */
export function performanceProjection(options: MetricOptions = {}): Projection<PerformanceState> {
  const resolved = resolveMetricOptions(options);
  return {
    name: 'performance',
    version: 2,
    fingerprint: JSON.stringify(resolved),
    init: () => ({ accounts: emptyAccounts(), strategies: new Map(), portfolio: emptyReturnStats(), lastReturnTime: null }),
    evolve(state, event) {
      const { accounts, returns, portfolioReturn } = evolveAccounts(state.accounts, event);
      if (!returns) return accounts === state.accounts ? state : { ...state, accounts };
      const strategies = new Map(state.strategies);
      for (const [id, r] of returns) strategies.set(id, addReturn(strategies.get(id) ?? emptyReturnStats(), r, resolved));
      const portfolio = portfolioReturn === null ? state.portfolio : addReturn(state.portfolio, portfolioReturn, resolved);
      return { accounts, strategies, portfolio, lastReturnTime: event.metadata.barTime };
    },
  };
}

/** Every metric of every strategy that has added or been valued, ascending by id. */
export function strategyMetrics(state: PerformanceState, options: MetricOptions = {}): StrategyMetrics[] {
  const ids = new Set([...state.accounts.strategies.keys(), ...state.strategies.keys()]);
  return [...ids].sort().map((strategyId) => ({
    strategyId,
    ...summariseReturnStats(state.strategies.get(strategyId) ?? emptyReturnStats(), options),
  }));
}
