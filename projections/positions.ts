// Positions projection: each strategy's ledger folded from its fills and transfers (src/ledger), valued at the latest marks, and aggregated by symbol.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { capitalLegs } from './capitalMoves.js';
import { AVG_COST_DECIMALS, emptyLedger, evolveLedger, exactMinus, exactPlus, exactTimes, ledgerValue } from '../src/ledger/index.js';
import { roundedQuotient } from '../src/ledger/exactArithmetic.js';
import type { LedgerState, Position } from '../src/ledger/types.js';
import type { EventData } from '../events/catalogue.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import type { FillScaled } from './eventAmounts.js';
import type { FoldContext } from './foldContext.js';
import { Scaled, absolute, compare, minus, negated, plus, signOf, times, toDec, type Amount, type DecOp } from '../src/money/scaledAmounts.js';

/** State of the positions projection. */
export interface PositionsState {
  readonly ledgers: ReadonlyMap<string, LedgerState>;
  /** Latest mark (close) per symbol. */
  readonly marks: ReadonlyMap<string, Dec>;
}

/** A position inside a working copy: exact amounts, in safe integers while they fit. */
interface PositionWork {
  readonly symbol: string;
  readonly quantity: Amount;
  readonly avgCost: Amount;
  readonly realizedPnl: Amount;
}

/** A strategy's ledger owned by a working copy: its fields are replaced in place, its positions stay immutable values. */
interface LedgerWork {
  cash: Amount;
  positions: Map<string, PositionWork>;
  realizedPnl: Amount;
  commissions: Amount;
  transferredIn: Amount;
  transferredOut: Amount;
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

const positionOf = (p: PositionWork): Position => ({
  symbol: p.symbol,
  quantity: toDec(p.quantity),
  avgCost: toDec(p.avgCost),
  realizedPnl: toDec(p.realizedPnl),
});

/** The ledger as src/ledger sees it (Decimals). */
function ledgerOf(l: LedgerWork): LedgerState {
  const positions = new Map<string, Position>();
  for (const [symbol, p] of l.positions) positions.set(symbol, positionOf(p));
  return {
    cash: toDec(l.cash),
    positions,
    realizedPnl: toDec(l.realizedPnl),
    commissions: toDec(l.commissions),
    transferredIn: toDec(l.transferredIn),
    transferredOut: toDec(l.transferredOut),
  };
}

// The fast path (safe-integer amounts, in place) is part of what took the rebuild's fold from 13.8–16.4 to 2.1–2.4 µs per
// event (docs/projections.md); test/projections.scaledAmounts.unit.spec.ts holds it equal to the src/ledger fold, or failing
// where that fold fails, over random fills.
// Passed to the exact operations of the fast path: a failure there is redone by applyFill, which names the fill.
const FAST = 'positions fast path';
const EP: DecOp = (a, b) => exactPlus(a, b, FAST);
const EM: DecOp = (a, b) => exactMinus(a, b, FAST);
const ET: DecOp = (a, b) => exactTimes(a, b, FAST);
const finite = (a: Amount): boolean => a instanceof Scaled || a.isFinite();

/**
 * Applies a fill to an owned ledger in place with the arithmetic of src/ledger's applyFill: the same exact sums and
 * products (in safe integers when they fit, which is exact too, else the same Decimal operations), so the same values,
 * without the copies and messages a pure fold builds per fill. Anything applyFill would refuse goes to applyFill itself.
 */
function fillInPlace(l: LedgerWork, symbol: string, fill: FillScaled, data: EventData<'FillRecorded'>, context: FoldContext): void {
  const { quantity: q, price: px, commission: c } = fill;
  const valid = symbol.trim() !== '' && finite(q) && finite(px) && finite(c) && signOf(q) !== 0 && signOf(px) > 0 && signOf(c) >= 0;
  if (valid) {
    try {
      const before = l.positions.get(symbol);
      let position: PositionWork | undefined;
      let realized: Amount = ZERO;
      if (before === undefined) {
        position = { symbol, quantity: q, avgCost: px, realizedPnl: ZERO };
      } else {
        const held = before.quantity;
        const heldShort = signOf(held) < 0;
        const after = plus(held, q, EP);
        if (heldShort === signOf(q) < 0) {
          // Adding: the quantity-weighted average rounded to AVG_COST_DECIMALS, its residual booked as realised.
          const cost = plus(times(held, before.avgCost, ET), times(q, px, ET), EP);
          const avgCost = roundedQuotient(toDec(cost), toDec(after), AVG_COST_DECIMALS);
          realized = minus(times(after, avgCost, ET), cost, EM);
          position = { symbol, quantity: after, avgCost, realizedPnl: plus(before.realizedPnl, realized, EP) };
        } else {
          const qAbs = absolute(q);
          const heldAbs = absolute(held);
          const closed = compare(qAbs, heldAbs) <= 0 ? qAbs : heldAbs;
          const realizedAbs = times(closed, minus(px, before.avgCost, EM), ET);
          realized = heldShort ? negated(realizedAbs) : realizedAbs;
          const afterSign = signOf(after);
          if (afterSign === 0) position = undefined;
          else if (afterSign < 0 === heldShort) {
            position = { symbol, quantity: after, avgCost: before.avgCost, realizedPnl: plus(before.realizedPnl, realized, EP) };
          } else position = { symbol, quantity: after, avgCost: px, realizedPnl: ZERO };
        }
      }
      const cash = minus(minus(l.cash, times(q, px, ET), EM), c, EM);
      const realizedPnl = signOf(realized) === 0 ? l.realizedPnl : plus(l.realizedPnl, realized, EP);
      const commissions = plus(l.commissions, c, EP);
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
  adopt(l, evolveLedger(ledgerOf(l), { kind: 'fill', fill: { symbol, ...context.fillAmounts(data) } }));
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
  step(w, event, context) {
    switch (event.type) {
      case 'StrategyAdded':
        w.owned.set(event.data.strategyId, { ...emptyLedger(), positions: new Map() });
        return;
      case 'FillRecorded': {
        fillInPlace(ownLedger(w, event.data.strategyId), event.data.symbol, context.fillScaled(event.data), event.data, context);
        return;
      }
      case 'CapitalTransferred': {
        const [out, into] = capitalLegs(event.data);
        if (into.delta.isZero()) return;
        // Both sides are evolved before either is stored, so a refused transfer leaves the working copy as it was.
        const fromLedger = out.isReserve ? null : evolveLedger(ledgerOf(ownLedger(w, out.account)), { kind: 'transfer', amount: out.delta });
        const toBase = into.account === out.account && fromLedger ? fromLedger : into.isReserve ? null : ledgerOf(ownLedger(w, into.account));
        const toLedger = toBase === null ? null : evolveLedger(toBase, { kind: 'transfer', amount: into.delta });
        if (fromLedger) adopt(ownLedger(w, out.account), fromLedger);
        if (toLedger) adopt(ownLedger(w, into.account), toLedger);
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
    const ledgers = new Map<string, LedgerState>(w.ledgers);
    for (const [id, l] of w.owned) ledgers.set(id, ledgerOf(l));
    const marks = new Map(w.marks);
    for (const [sym, text] of w.markTexts) marks.set(sym, new Dec(text));
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
