// Positions projection: each strategy's ledger folded from its fills and transfers (src/ledger), valued at the latest marks, and aggregated by symbol.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { RESERVE } from '../events/catalogue.js';
import { emptyLedger, evolveLedger, ledgerValue } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { decimalMap, fillAmounts } from './eventAmounts.js';

/** State of the positions projection. */
export interface PositionsState {
  readonly ledgers: ReadonlyMap<string, LedgerState>;
  /** Latest mark (close) per symbol. */
  readonly marks: ReadonlyMap<string, Dec>;
}

/** The working copy of the positions fold (mutable maps the runner owns; ledgers themselves stay immutable). */
export interface PositionsWork {
  readonly ledgers: Map<string, LedgerState>;
  readonly marks: Map<string, Dec>;
}

const positionsFold: InPlaceFold<PositionsState, PositionsWork> = {
  begin: (s) => ({ ledgers: new Map(s.ledgers), marks: new Map(s.marks) }),
  step(w, event) {
    switch (event.type) {
      case 'StrategyAdded':
        w.ledgers.set(event.data.strategyId, emptyLedger());
        return;
      case 'FillRecorded': {
        const { strategyId, symbol } = event.data;
        const ledger = evolveLedger(w.ledgers.get(strategyId) ?? emptyLedger(), {
          kind: 'fill',
          fill: { symbol, ...fillAmounts(event.data) },
        });
        w.ledgers.set(strategyId, ledger);
        return;
      }
      case 'CapitalTransferred': {
        const amount = new Dec(event.data.amount);
        if (amount.isZero()) return;
        // Both sides are evolved before either is stored, so a refused transfer leaves the working copy as it was.
        const { from, to } = event.data;
        const fromLedger = from === RESERVE ? null : evolveLedger(w.ledgers.get(from) ?? emptyLedger(), { kind: 'transfer', amount: amount.negated() });
        const toBase = to === from && fromLedger ? fromLedger : w.ledgers.get(to) ?? emptyLedger();
        const toLedger = to === RESERVE ? null : evolveLedger(toBase, { kind: 'transfer', amount });
        if (fromLedger) w.ledgers.set(from, fromLedger);
        if (toLedger) w.ledgers.set(to, toLedger);
        return;
      }
      case 'BarMarked':
        for (const [sym, px] of decimalMap(event.data.marks)) w.marks.set(sym, px);
        return;
      default:
        return;
    }
  },
  end: (w) => w,
};

/** Positions projection (folded in place by the runner). @throws (through the runner) LedgerError when a fill or transfer is impossible. */
export const positionsProjection: Projection<PositionsState, PositionsWork> = {
  name: 'positions',
  version: 1,
  init: () => ({ ledgers: new Map(), marks: new Map() }),
  evolve: evolveByCopy(positionsFold),
  inPlace: positionsFold,
};

/** One open position as users see it. */
export interface PositionView {
  readonly symbol: string;
  readonly quantity: DecString;
  readonly avgCost: DecString;
  readonly mark: DecString | null;
  /** quantity × mark (null without a mark). */
  readonly marketValue: DecString | null;
  /** quantity × (mark − avgCost). */
  readonly unrealizedPnl: DecString | null;
}

/** One strategy's book. */
export interface StrategyPositions {
  readonly strategyId: string;
  readonly cash: DecString;
  readonly value: DecString | null;
  readonly realizedPnl: DecString;
  readonly commissions: DecString;
  readonly positions: readonly PositionView[];
}

/** A symbol across strategies. */
export interface AggregatePosition {
  readonly symbol: string;
  readonly quantity: DecString;
  readonly marketValue: DecString | null;
  readonly strategies: readonly string[];
}

/** Positions per strategy (ascending ids and symbols) and aggregated by symbol. */
export function positionsView(s: PositionsState): { strategies: StrategyPositions[]; aggregate: AggregatePosition[] } {
  const agg = new Map<string, { quantity: Dec; strategies: string[] }>();
  const strategies = [...s.ledgers.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([strategyId, ledger]) => {
      const positions = [...ledger.positions.values()]
        .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
        .map((p): PositionView => {
          const mark = s.marks.get(p.symbol) ?? null;
          const a = agg.get(p.symbol) ?? { quantity: ZERO, strategies: [] };
          agg.set(p.symbol, { quantity: a.quantity.plus(p.quantity), strategies: [...a.strategies, strategyId] });
          return {
            symbol: p.symbol,
            quantity: decStr(p.quantity),
            avgCost: decStr(p.avgCost),
            mark: mark ? decStr(mark) : null,
            marketValue: mark ? decStr(p.quantity.times(mark)) : null,
            unrealizedPnl: mark ? decStr(p.quantity.times(mark.minus(p.avgCost))) : null,
          };
        });
      let value: DecString | null = null;
      try {
        value = decStr(ledgerValue(ledger, (sym) => s.marks.get(sym)));
      } catch {
        value = null; // a held symbol without a mark yet
      }
      return {
        strategyId,
        cash: decStr(ledger.cash),
        value,
        realizedPnl: decStr(ledger.realizedPnl),
        commissions: decStr(ledger.commissions),
        positions,
      };
    });
  const aggregate = [...agg.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([symbol, a]) => {
      const mark = s.marks.get(symbol);
      return {
        symbol,
        quantity: decStr(a.quantity),
        marketValue: mark ? decStr(a.quantity.times(mark)) : null,
        strategies: a.strategies,
      };
    });
  return { strategies, aggregate };
}
