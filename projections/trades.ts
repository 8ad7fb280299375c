// Trades projection: round trips per strategy and symbol (flat → open → flat) from fills, with win/loss counts and the most recent trips.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { fillAmounts } from './eventAmounts.js';

/** A round trip that has closed. P&L = −Σ quantity × price − Σ commission over its fills (exact). */
export interface RoundTrip {
  readonly strategyId: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly openedAt: string | null;
  readonly closedAt: string | null;
  readonly fills: number;
  readonly pnl: DecString;
}

interface OpenTrip {
  readonly quantity: Dec;
  readonly cashFlow: Dec;
  readonly fills: number;
  readonly openedAt: string | null;
}

/** Totals of one strategy's closed round trips. */
export interface TradeTotals {
  readonly roundTrips: number;
  /** P&L > 0 (a zero P&L trip is neither a win nor a loss). */
  readonly wins: number;
  readonly losses: number;
  readonly grossProfit: Dec;
  readonly grossLoss: Dec;
}

/** State of the trades projection. */
export interface TradesState {
  /** Open trips keyed `strategy\u0000symbol`. */
  readonly open: ReadonlyMap<string, OpenTrip>;
  readonly totals: ReadonlyMap<string, TradeTotals>;
  /** The last `keep` closed trips, oldest first. */
  readonly recent: readonly RoundTrip[];
}

const noTotals: TradeTotals = { roundTrips: 0, wins: 0, losses: 0, grossProfit: ZERO, grossLoss: ZERO };

/** A closed trip whose P&L text is made only if the trip is still among the kept ones when the fold ends. */
interface ClosedTrip extends Omit<RoundTrip, 'pnl'> {
  readonly pnl: DecString | Dec;
}

/** The working copy of the trades fold (mutable maps and list the runner owns). */
export interface TradesWork {
  readonly open: Map<string, OpenTrip>;
  readonly totals: Map<string, TradeTotals>;
  /** Closed trips, oldest first; may hold up to 2 × keep between trims (trimmed to `keep` when the fold ends). */
  readonly recent: ClosedTrip[];
}

/**
 * Trades projection keeping the last `keep` round trips (default 1000) so memory stays bounded.
 * A fill that crosses zero closes the trip (its whole commission counted there) and opens the opposite one with the remainder.
 * Folded in place by the runner (maps and the trip list are copied once per run, not once per fill).
 */
export function tradesProjection(options: { readonly keep?: number } = {}): Projection<TradesState, TradesWork> {
  const keep = options.keep ?? 1000;
  const inPlace: InPlaceFold<TradesState, TradesWork> = {
    begin: (s) => ({ open: new Map(s.open), totals: new Map(s.totals), recent: [...s.recent] }),
    step(w, event) {
      if (event.type !== 'FillRecorded') return;
      const { strategyId, symbol } = event.data;
      const { quantity: q, price: px, commission } = fillAmounts(event.data);
      const key = `${strategyId}\u0000${symbol}`;
      const at = event.metadata.barTime;
      const trip = w.open.get(key);
      const held = trip === undefined ? ZERO : trip.quantity;
      const flat = held.isZero();
      const after = held.plus(q);
      if (flat || (!after.isZero() && after.isNegative() === held.isNegative())) {
        // The same operations in the same order as ever: each one rounds at 34 digits, so regrouping could change a P&L.
        w.open.set(key, {
          quantity: after,
          cashFlow: (trip === undefined ? ZERO : trip.cashFlow).minus(q.times(px)).minus(commission),
          fills: trip === undefined ? 1 : trip.fills + 1,
          openedAt: flat || trip === undefined ? at : trip.openedAt,
        });
        return;
      }
      const open = trip as OpenTrip;
      const closing = held.negated();
      const pnl = open.cashFlow.minus(closing.times(px)).minus(commission);
      const rest = q.minus(closing);
      if (rest.isZero()) w.open.delete(key);
      else w.open.set(key, { quantity: rest, cashFlow: rest.times(px).negated(), fills: 1, openedAt: at });
      const t = w.totals.get(strategyId) ?? noTotals;
      const win = pnl.isPositive() && !pnl.isZero();
      const loss = pnl.isNegative() && !pnl.isZero();
      w.totals.set(strategyId, {
        roundTrips: t.roundTrips + 1,
        wins: t.wins + (win ? 1 : 0),
        losses: t.losses + (loss ? 1 : 0),
        grossProfit: win ? t.grossProfit.plus(pnl) : t.grossProfit,
        grossLoss: loss ? t.grossLoss.minus(pnl) : t.grossLoss,
      });
      if (keep <= 0) return;
      w.recent.push({
        strategyId,
        symbol,
        side: held.isPositive() ? 'long' : 'short',
        openedAt: open.openedAt,
        closedAt: at,
        fills: open.fills + 1,
        pnl,
      });
      // Trimming only at 2 × keep makes dropping the oldest trips O(1) per fill on average.
      if (w.recent.length >= 2 * keep) w.recent.splice(0, w.recent.length - keep);
    },
    end(w) {
      const kept = w.recent.length > keep ? w.recent.slice(w.recent.length - keep) : w.recent;
      const recent = kept.map((t): RoundTrip => (typeof t.pnl === 'string' ? (t as RoundTrip) : { ...t, pnl: decStr(t.pnl) }));
      return { open: w.open, totals: w.totals, recent };
    },
  };
  return {
    name: 'trades',
    version: 1,
    fingerprint: `keep=${keep}`,
    init: () => ({ open: new Map(), totals: new Map(), recent: [] }),
    evolve: evolveByCopy(inPlace),
    inPlace,
  };
}

/** Trade statistics of one strategy as users see them. */
export interface TradeSummary {
  readonly strategyId: string;
  readonly roundTrips: number;
  readonly wins: number;
  readonly losses: number;
  /** wins / round trips (NaN with none). */
  readonly winRate: number;
  readonly grossProfit: DecString;
  readonly grossLoss: DecString;
  /** gross profit / gross loss; Infinity with profits and no losses, NaN with neither. */
  readonly profitFactor: number;
  readonly openTrips: number;
}

/** Trade statistics per strategy, ascending ids. */
export function tradeSummaries(s: TradesState): TradeSummary[] {
  const ids = new Set([...s.totals.keys(), ...[...s.open.keys()].map((k) => k.split('\u0000')[0] as string)]);
  return [...ids].sort().map((strategyId) => {
    const t = s.totals.get(strategyId) ?? noTotals;
    let profitFactor = Number.NaN;
    if (t.grossLoss.greaterThan(0)) profitFactor = t.grossProfit.div(t.grossLoss).toNumber();
    else if (t.grossProfit.greaterThan(0)) profitFactor = Number.POSITIVE_INFINITY;
    return {
      strategyId,
      roundTrips: t.roundTrips,
      wins: t.wins,
      losses: t.losses,
      winRate: t.roundTrips > 0 ? t.wins / t.roundTrips : Number.NaN,
      grossProfit: decStr(t.grossProfit),
      grossLoss: decStr(t.grossLoss),
      profitFactor,
      openTrips: [...s.open.keys()].filter((k) => k.startsWith(`${strategyId}\u0000`)).length,
    };
  });
}
