// Cash fraction projection: each strategy's average share of its value held in cash, over the marks that valued it.
import type { Projection } from './projection.js';

/** Running sum of cash ÷ value and the number of marks, per strategy. */
export interface CashFractionState {
  readonly strategies: ReadonlyMap<string, { readonly sum: number; readonly marks: number }>;
}

/** Cash fraction projection: every BarMarked adds each strategy's cash ÷ value (strategies valued at zero are skipped). */
export const cashFractionProjection: Projection<CashFractionState> = {
  name: 'cash-fraction',
  version: 1,
  init: () => ({ strategies: new Map() }),
  evolve(state, event) {
    if (event.type !== 'BarMarked') return state;
    const strategies = new Map(state.strategies);
    const { strategyValues, strategyCash } = event.data;
    for (const id of Object.keys(strategyValues)) {
      const value = Number(strategyValues[id]);
      const cash = strategyCash[id];
      if (!(value > 0) || cash === undefined) continue;
      const prior = strategies.get(id) ?? { sum: 0, marks: 0 };
      strategies.set(id, { sum: prior.sum + Number(cash) / value, marks: prior.marks + 1 });
    }
    return { strategies };
  },
};

/** A strategy's average cash fraction (null before any mark valued it above zero). */
export function averageCashFraction(state: CashFractionState, strategyId: string): number | null {
  const s = state.strategies.get(strategyId);
  return s === undefined || s.marks === 0 ? null : s.sum / s.marks;
}
