// Positions projection: each strategy's ledger folded from its fills and transfers (src/ledger), valued at the latest marks, and aggregated by symbol.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { RESERVE } from '../events/catalogue.js';
import { emptyLedger, evolveLedger, ledgerValue } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';
import type { Projection } from './projection.js';
import { fillAmounts } from './fillAmounts.js';

/** State of the positions projection. */
export interface PositionsState {
  readonly ledgers: ReadonlyMap<string, LedgerState>;
  /** Latest mark (close) per symbol. */
  readonly marks: ReadonlyMap<string, Dec>;
}

/** Positions projection. @throws (through the runner) LedgerError when a fill or transfer is impossible. */
export const positionsProjection: Projection<PositionsState> = {
  name: 'positions',
  version: 1,
  init: () => ({ ledgers: new Map(), marks: new Map() }),
  evolve(s, event) {
    switch (event.type) {
      case 'StrategyAdded':
        return { ...s, ledgers: new Map(s.ledgers).set(event.data.strategyId, emptyLedger()) };
      case 'FillRecorded': {
        const { strategyId, symbol } = event.data;
        const ledger = evolveLedger(s.ledgers.get(strategyId) ?? emptyLedger(), {
          kind: 'fill',
          fill: { symbol, ...fillAmounts(event.data) },
        });
        return { ...s, ledgers: new Map(s.ledgers).set(strategyId, ledger) };
      }
      case 'CapitalTransferred': {
        const ledgers = new Map(s.ledgers);
        const amount = new Dec(event.data.amount);
        if (amount.isZero()) return s;
        for (const [id, signed] of [
          [event.data.from, amount.negated()],
          [event.data.to, amount],
        ] as const) {
          if (id === RESERVE) continue;
          ledgers.set(id, evolveLedger(ledgers.get(id) ?? emptyLedger(), { kind: 'transfer', amount: signed }));
        }
        return { ...s, ledgers };
      }
      case 'BarMarked': {
        const marks = new Map(s.marks);
        for (const [sym, px] of Object.entries(event.data.marks)) marks.set(sym, new Dec(px));
        return { ...s, marks };
      }
      default:
        return s;
    }
  },
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
