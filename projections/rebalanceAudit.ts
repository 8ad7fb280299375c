// Rebalance audit trail projection: every RebalanceDecided with the transfers that carried it out (the most recent `keep`).
import { ownValue, setOwn } from '../src/records/ownKeys.js';
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { RESERVE, type EventData } from '../events/catalogue.js';
import { capitalLegs } from './capitalMoves.js';
import { shareNotKept } from '../src/portfolio/rebalancePlan.js';
import { money, percent } from '../src/display/figures.js';
import type { Projection } from './projection.js';

/** One transfer of a rebalance. */
export interface RebalanceTransfer {
  readonly from: string;
  readonly to: string;
  readonly amount: DecString;
  readonly reason: string;
  readonly position: number;
}

/** One rebalance: the decision as recorded, where it sits in the log, and what moved. */
export interface RebalanceRecord {
  readonly rebalanceId: string;
  readonly barTime: string | null;
  readonly revision: number;
  readonly position: number;
  readonly decision: EventData<'RebalanceDecided'>;
  readonly transfers: readonly RebalanceTransfer[];
  /** Σ transfer amounts. */
  readonly capitalMoved: DecString;
  /** Net change per account (reserve and strategies) over the rebalance's transfers; Σ is zero. */
  readonly netByAccount: Readonly<Record<string, DecString>>;
  /** The reserve its first increase was paid from (after every decrease), or null when nothing went to a strategy. */
  readonly reserveForIncreases: DecString | null;
}

/** State of the rebalance audit projection. */
export interface RebalanceAuditState {
  readonly rebalances: readonly RebalanceRecord[];
  readonly total: number;
  /** The reserve now: what increases are paid from. */
  readonly reserve: DecString;
}

/** A strategy a rebalance moved less than its target asked, and why. */
export interface RebalanceShortfall {
  readonly strategyId: string;
  /** Target − recorded value: negative for a decrease. */
  readonly asked: DecString;
  /** What its transfer moved, signed the same way (zero when it moved nothing). */
  readonly moved: DecString;
  readonly why: string;
}

const CENT = new Dec('0.01');

/**
 * The strategies a rebalance left short of their targets, with the cap of the plan that held each back: a decrease
 * gives at most the strategy's cash after the sales, and increases share the reserve left after the decreases pro rata,
 * each rounded down to the cent (an increase short by less than a cent of its ask is that rounding, not a shortfall).
 */
export function rebalanceShortfalls(r: RebalanceRecord): RebalanceShortfall[] {
  const d = r.decision;
  const asks: { id: string; asked: Dec }[] = [];
  for (const id of Object.keys(d.targets).sort()) {
    const value = ownValue(d.inputs, id)?.['value'];
    if (typeof value !== 'string') continue;
    asks.push({ id, asked: new Dec(ownValue(d.targets, id) as string).minus(value) });
  }
  const wanted = asks.reduce((t, a) => (a.asked.isPositive() ? t.plus(a.asked) : t), ZERO);
  const out: RebalanceShortfall[] = [];
  for (const { id, asked } of asks) {
    const moved = new Dec(ownValue(r.netByAccount, id) ?? '0');
    let why: string | null = null;
    if (asked.isNegative() && !moved.equals(asked)) {
      why = moved.isZero() ? 'it had no cash at the transfer' : 'all the cash it had at the transfer';
    } else if (asked.isPositive() && moved.lt(asked.toNearest(CENT, Dec.ROUND_DOWN))) {
      const held = r.reserveForIncreases;
      why =
        held === null
          ? `the reserve after the decreases could not pay any of the ${money(wanted)} the increases asked`
          : `the increases asked ${money(wanted)} and the reserve held ${money(new Dec(held))} after the decreases: ` +
            `each got ${percent(new Dec(held).div(wanted).toNumber())} of its ask, rounded down to the cent`;
    }
    if (why !== null) out.push({ strategyId: id, asked: decStr(asked), moved: decStr(moved), why });
  }
  return out;
}

/** The share of the portfolio value an algorithm's weights were of, when it was less than the whole. */
export interface WeighedShare {
  /** 1 − Σ recorded value of the strategies left out ÷ the portfolio value, within [0, 1] (0 for a value ≤ 0). */
  readonly free: number;
  /** Σ final weight of the strategies re-admitted at their configured allocation of `free`. */
  readonly readmitted: number;
  /** `free − readmitted`: the weighed strategies' bounded weights were multiplied by it to give their final weights. */
  readonly share: number;
}

/**
 * The share the weighed strategies of an algorithm's rebalance split, from what the decision records: the values of the
 * strategies left out (they keep them) and the final weights of those re-admitted. The algorithm's raw weights and its
 * bounds are fractions of this share, not of the whole portfolio, so a final weight below a named min or below the max named binding
 * reads right only with it. Null when the share is the whole value, and for a manual rebalance (its weights are of the
 * whole value).
 */
export function weighedShare(r: RebalanceRecord): WeighedShare | null {
  const d = r.decision;
  if (d.trigger === 'manual') return null;
  const leftOut = Object.keys(d.leftOut ?? {});
  const readmittedIds = Object.keys(d.readmitted ?? {});
  if (leftOut.length === 0 && readmittedIds.length === 0) return null;
  // With every strategy left out or re-admitted, no weight was of the share: there is nothing for it to explain.
  const readmittedSet = new Set(readmittedIds);
  if (!Object.keys(d.finalWeights).some((id) => !readmittedSet.has(id))) return null;
  let kept = ZERO;
  for (const id of leftOut) {
    const value = ownValue(d.inputs, id)?.['value'];
    // A left-out strategy whose value is not recorded leaves the share unknown, not its value taken as 0.
    if (typeof value !== 'string') return null;
    kept = kept.plus(value);
  }
  const free = shareNotKept(new Dec(d.portfolioValue), kept);
  const readmitted = readmittedIds.reduce((t, id) => t + (ownValue(d.finalWeights, id) ?? 0), 0);
  return { free, readmitted, share: Math.max(0, free - readmitted) };
}

/** Rebalance audit projection keeping the last `keep` rebalances (default 10 000; 0 keeps all — rebalances are rare). */
export function rebalanceAuditProjection(options: { readonly keep?: number } = {}): Projection<RebalanceAuditState> {
  const keep = options.keep ?? 10_000;
  return {
    name: 'rebalance-audit',
    version: 2,
    fingerprint: `keep=${keep}`,
    init: () => ({ rebalances: [], total: 0, reserve: '0' }),
    evolve(s, event) {
      if (event.type === 'PortfolioOpened') return { ...s, reserve: event.data.totalCapital };
      if (event.type === 'RebalanceDecided') {
        const record: RebalanceRecord = {
          rebalanceId: event.data.rebalanceId,
          barTime: event.metadata.barTime,
          revision: event.metadata.revision,
          position: event.position,
          decision: event.data,
          transfers: [],
          capitalMoved: '0',
          netByAccount: {},
          reserveForIncreases: null,
        };
        const kept = keep > 0 ? s.rebalances.slice(Math.max(0, s.rebalances.length - keep + 1)) : s.rebalances;
        return { ...s, rebalances: [...kept, record], total: s.total + 1 };
      }
      if (event.type !== 'CapitalTransferred') return s;
      const before = s.reserve;
      let reserve = new Dec(before);
      for (const leg of capitalLegs(event.data)) if (leg.isReserve) reserve = reserve.plus(leg.delta);
      if (event.data.rebalanceId === null) return { ...s, reserve: decStr(reserve) };
      const id = event.data.rebalanceId;
      let index = -1;
      for (let i = s.rebalances.length - 1; i >= 0; i -= 1) {
        if (s.rebalances[i]?.rebalanceId === id) {
          index = i;
          break;
        }
      }
      const r = s.rebalances[index];
      if (!r) return { ...s, reserve: decStr(reserve) };
      const amount = new Dec(event.data.amount);
      const net = { ...r.netByAccount };
      setOwn(net, event.data.from, decStr(ZERO.plus(ownValue(net, event.data.from) ?? '0').minus(amount)));
      setOwn(net, event.data.to, decStr(ZERO.plus(ownValue(net, event.data.to) ?? '0').plus(amount)));
      const updated: RebalanceRecord = {
        ...r,
        transfers: [
          ...r.transfers,
          { from: event.data.from, to: event.data.to, amount: event.data.amount, reason: event.data.reason, position: event.position },
        ],
        capitalMoved: decStr(ZERO.plus(r.capitalMoved).plus(amount)),
        netByAccount: net,
        reserveForIncreases: r.reserveForIncreases ?? (event.data.from === RESERVE ? before : null),
      };
      const rebalances = [...s.rebalances];
      rebalances[index] = updated;
      return { ...s, rebalances, reserve: decStr(reserve) };
    },
  };
}
