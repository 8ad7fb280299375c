// Attribution projection: each strategy's P&L contribution (value change net of transfers), summing exactly to the portfolio's P&L.
import { decStr, type DecString } from '../src/money/decimal.js';
import { EXACT_ZERO, add, decOf, exactOfDec, sub, textOf } from '../src/money/exact.js';
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
  // Summed exactly: a Decimal sum rounds past 34 digits, and the contributions would no longer sum to the P&L.
  let values = EXACT_ZERO;
  const rows = [...a.strategies.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([strategyId, acc]) => {
    const value = exactOfDec(acc.value);
    values = add(values, value);
    return { strategyId, contribution: sub(value, exactOfDec(acc.netFlowIn)) };
  });
  const pnl = sub(add(values, exactOfDec(a.reserve)), exactOfDec(a.totalCapital));
  const pnlDec = decOf(pnl);
  return {
    strategies: rows.map((r) => ({
      strategyId: r.strategyId,
      contribution: textOf(r.contribution),
      share: pnlDec.isZero() ? Number.NaN : decOf(r.contribution).div(pnlDec).toNumber(),
    })),
    portfolioPnl: textOf(pnl),
    totalCapital: decStr(a.totalCapital),
  };
}
