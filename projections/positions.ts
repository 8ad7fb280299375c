// Positions projection: each strategy's ledger folded from its fills and transfers (src/ledger), valued at the latest marks, and aggregated by symbol.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { RESERVE } from '../events/catalogue.js';
import { AVG_COST_DECIMALS, emptyLedger, evolveLedger, exactMinus, exactPlus, exactTimes, ledgerValue } from '../src/ledger/index.js';
import { roundedQuotient } from '../src/ledger/exactArithmetic.js';
import type { LedgerFill, LedgerState, Position } from '../src/ledger/types.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { decimalOf, fillAmounts } from './eventAmounts.js';

/** State of the positions projection. */
export interface PositionsState {
  readonly ledgers: ReadonlyMap<string, LedgerState>;
  /** Latest mark (close) per symbol. */
  readonly marks: ReadonlyMap<string, Dec>;
}

/** A strategy's ledger owned by a working copy: its fields are replaced in place, its positions stay immutable values. */
interface LedgerWork {
  cash: Dec;
  positions: Map<string, Position>;
  realizedPnl: Dec;
  commissions: Dec;
  transferredIn: Dec;
  transferredOut: Dec;
}

/** The working copy of the positions fold (the runner owns it; ledgers are copied when first changed, not per event). */
export interface PositionsWork {
  /** Ledgers as of `begin` (never mutated). */
  readonly ledgers: ReadonlyMap<string, LedgerState>;
  /** Ledgers changed since `begin`, owned by this working copy. */
  readonly owned: Map<string, LedgerWork>;
  readonly marks: ReadonlyMap<string, Dec>;
  /** Mark texts since `begin`, parsed when the fold ends (only the latest mark of a symbol is ever needed). */
  readonly markTexts: Map<string, string>;
}

const ownLedger = (w: PositionsWork, id: string): LedgerWork => {
  let l = w.owned.get(id);
  if (l === undefined) {
    const base = w.ledgers.get(id) ?? emptyLedger();
    l = { ...base, positions: new Map(base.positions) };
    w.owned.set(id, l);
  }
  return l;
};

// Passed to the exact operations of the fast path: a failure there is redone by applyFill, which names the fill.
const FAST = 'positions fast path';

/**
 * Applies a fill to an owned ledger in place, with the arithmetic of src/ledger's applyFill (same exact operations in
 * the same order, so the same Decimals), without the copies and messages a pure fold builds per fill.
 * Anything applyFill would refuse goes to applyFill itself, so errors are its own.
 */
function fillInPlace(l: LedgerWork, fill: LedgerFill): void {
  const { symbol, quantity, price, commission } = fill;
  const valid =
    symbol.trim() !== '' &&
    quantity.isFinite() && price.isFinite() && commission.isFinite() &&
    !quantity.isZero() && price.isPositive() && !price.isZero() && (!commission.isNegative() || commission.isZero());
  if (valid) {
    try {
      const before = l.positions.get(symbol);
      let position: Position | undefined;
      let realized: Dec = ZERO;
      if (before === undefined) {
        position = { symbol, quantity, avgCost: price, realizedPnl: ZERO };
      } else {
        const held = before.quantity;
        const after = exactPlus(held, quantity, FAST);
        if (held.isNegative() === quantity.isNegative()) {
          const cost = exactPlus(exactTimes(held, before.avgCost, FAST), exactTimes(quantity, price, FAST), FAST);
          const avgCost = roundedQuotient(cost, after, AVG_COST_DECIMALS);
          realized = exactMinus(exactTimes(after, avgCost, FAST), cost, FAST);
          position = { symbol, quantity: after, avgCost, realizedPnl: exactPlus(before.realizedPnl, realized, FAST) };
        } else {
          const closed = Dec.min(quantity.abs(), held.abs());
          const realizedAbs = exactTimes(closed, exactMinus(price, before.avgCost, FAST), FAST);
          realized = held.isNegative() ? realizedAbs.negated() : realizedAbs;
          if (after.isZero()) position = undefined;
          else if (after.isNegative() === held.isNegative()) {
            position = { symbol, quantity: after, avgCost: before.avgCost, realizedPnl: exactPlus(before.realizedPnl, realized, FAST) };
          } else position = { symbol, quantity: after, avgCost: price, realizedPnl: ZERO };
        }
      }
      const cash = exactMinus(exactMinus(l.cash, exactTimes(quantity, price, FAST), FAST), commission, FAST);
      const realizedPnl = exactPlus(l.realizedPnl, realized, FAST);
      const commissions = exactPlus(l.commissions, commission, FAST);
      // Nothing above changed the ledger, so a failure anywhere leaves it for applyFill to judge.
      if (position === undefined) l.positions.delete(symbol);
      else l.positions.set(symbol, position);
      l.cash = cash;
      l.realizedPnl = realizedPnl;
      l.commissions = commissions;
      return;
    } catch {
      // fall through: applyFill gives the answer or the error
    }
  }
  adopt(l, evolveLedger(l, { kind: 'fill', fill }));
}

function adopt(l: LedgerWork, next: LedgerState): void {
  l.cash = next.cash;
  l.positions = new Map(next.positions);
  l.realizedPnl = next.realizedPnl;
  l.commissions = next.commissions;
  l.transferredIn = next.transferredIn;
  l.transferredOut = next.transferredOut;
}

const positionsFold: InPlaceFold<PositionsState, PositionsWork> = {
  begin: (s) => ({ ledgers: s.ledgers, owned: new Map(), marks: s.marks, markTexts: new Map() }),
  step(w, event) {
    switch (event.type) {
      case 'StrategyAdded':
        w.owned.set(event.data.strategyId, { ...emptyLedger(), positions: new Map() });
        return;
      case 'FillRecorded': {
        const { strategyId, symbol } = event.data;
        const { quantity, price, commission } = fillAmounts(event.data);
        fillInPlace(ownLedger(w, strategyId), { symbol, quantity, price, commission });
        return;
      }
      case 'CapitalTransferred': {
        const amount = new Dec(event.data.amount);
        if (amount.isZero()) return;
        // Both sides are evolved before either is stored, so a refused transfer leaves the working copy as it was.
        const { from, to } = event.data;
        const fromLedger = from === RESERVE ? null : evolveLedger(ownLedger(w, from), { kind: 'transfer', amount: amount.negated() });
        const toBase = to === from && fromLedger ? fromLedger : to === RESERVE ? null : ownLedger(w, to);
        const toLedger = toBase === null ? null : evolveLedger(toBase, { kind: 'transfer', amount });
        if (fromLedger) adopt(ownLedger(w, from), fromLedger);
        if (toLedger) adopt(ownLedger(w, to), toLedger);
        return;
      }
      case 'BarMarked': {
        const marks = event.data.marks;
        for (const sym in marks) w.markTexts.set(sym, marks[sym] as string);
        return;
      }
      default:
        return;
    }
  },
  end(w) {
    // The working copy is dropped after this, so the state takes over its ledgers (`begin` never mutates a state's).
    const ledgers = new Map<string, LedgerState>(w.ledgers);
    for (const [id, l] of w.owned) ledgers.set(id, l);
    const marks = new Map(w.marks);
    for (const [sym, text] of w.markTexts) marks.set(sym, decimalOf(text));
    return { ledgers, marks };
  },
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
