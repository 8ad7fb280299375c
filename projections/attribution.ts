// Attribution projection: each strategy's P&L contribution (value change net of transfers), summing exactly to the portfolio's P&L.
import { ZERO, decStr, type DecString } from '../src/money/decimal.js';
import type { Projection } from './projection.js';
import { emptyAccounts, evolveAccounts, type CapitalAccounts } from './capitalAccounts.js';

/** State of the attribution projection: the capital accounts are all it needs. */
export interface AttributionState {
  readonly accounts: CapitalAccounts;
}

/** Attribution projection. */
export const attributionProjection: Projection<AttributionState> = {
  name: 'attribution',
  // 4: the accounts in its state carry transfers before and after the slice's execution.
  version: 4,
  init: () => ({ accounts: emptyAccounts() }),
  evolve(s, event, context) {
    const { accounts } = context ? context.accountsStep(s.accounts, event) : evolveAccounts(s.accounts, event);
    return accounts === s.accounts ? s : { accounts };
  },
};

/** Attribution as users see it. */
export interface AttributionView {
  /** Per strategy: value − net transfers in (what it earned), and its share of the portfolio P&L (fraction). */
  readonly strategies: readonly { strategyId: string; contribution: DecString; share: number }[];
  /** Σ strategy values + reserve − total capital; equals Σ contributions exactly, since the reserve moves only by transfers. */
  readonly portfolioPnl: DecString;
  readonly totalCapital: DecString;
}

/** Contributions per strategy (ascending ids) and the portfolio P&L they sum to. */
export function attributionView(s: AttributionState): AttributionView {
  const a = s.accounts;
  let values = ZERO;
  const rows = [...a.strategies.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([strategyId, acc]) => {
    values = values.plus(acc.value);
    return { strategyId, contribution: acc.value.minus(acc.netFlowIn) };
  });
  const pnl = values.plus(a.reserve).minus(a.totalCapital);
  return {
    strategies: rows.map((r) => ({
      strategyId: r.strategyId,
      contribution: decStr(r.contribution),
      share: pnl.isZero() ? Number.NaN : r.contribution.div(pnl).toNumber(),
    })),
    portfolioPnl: decStr(pnl),
    totalCapital: decStr(a.totalCapital),
  };
}
