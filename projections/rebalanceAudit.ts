// Rebalance audit trail projection: every RebalanceDecided with the transfers that carried it out (the most recent `keep`).
import { ownValue, setOwn } from '../src/records/ownKeys.js';
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import type { EventData } from '../events/catalogue.js';
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
}

/** State of the rebalance audit projection. */
export interface RebalanceAuditState {
  readonly rebalances: readonly RebalanceRecord[];
  readonly total: number;
}

/** Rebalance audit projection keeping the last `keep` rebalances (default 10 000; 0 keeps all — rebalances are rare). */
export function rebalanceAuditProjection(options: { readonly keep?: number } = {}): Projection<RebalanceAuditState> {
  const keep = options.keep ?? 10_000;
  return {
    name: 'rebalance-audit',
    version: 1,
    fingerprint: `keep=${keep}`,
    init: () => ({ rebalances: [], total: 0 }),
    evolve(s, event) {
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
        };
        const kept = keep > 0 ? s.rebalances.slice(Math.max(0, s.rebalances.length - keep + 1)) : s.rebalances;
        return { rebalances: [...kept, record], total: s.total + 1 };
      }
      if (event.type !== 'CapitalTransferred' || event.data.rebalanceId === null) return s;
      const id = event.data.rebalanceId;
      let index = -1;
      for (let i = s.rebalances.length - 1; i >= 0; i -= 1) {
        if (s.rebalances[i]?.rebalanceId === id) {
          index = i;
          break;
        }
      }
      const r = s.rebalances[index];
      if (!r) return s;
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
      };
      const rebalances = [...s.rebalances];
      rebalances[index] = updated;
      return { ...s, rebalances };
    },
  };
}
