// Allocation history projection: capital and weights of every strategy after each transfer or rebalance (the most recent `keep` entries).
import { ZERO, decStr, type DecString } from '../src/money/decimal.js';
import type { Projection } from './projection.js';
import { activeStrategyIds, emptyAccounts, evolveAccounts, type CapitalAccounts } from './capitalAccounts.js';

/** Capital and weights after a group of transfers (consecutive transfers of one slice and one rebalance or reason). */
export interface AllocationEntry {
  readonly barTime: string | null;
  readonly position: number;
  readonly rebalanceId: string | null;
  readonly reason: string;
  /** Σ amounts moved in the group. */
  readonly moved: DecString;
  /** Capital per active strategy after the group (its last marked value plus transfers since). */
  readonly capital: Readonly<Record<string, DecString>>;
  readonly reserve: DecString;
  /** capital / (Σ capital + reserve), per strategy. */
  readonly weights: Readonly<Record<string, number>>;
}

/** State of the allocation history projection. */
export interface AllocationHistoryState {
  readonly accounts: CapitalAccounts;
  readonly entries: readonly AllocationEntry[];
  /** Entries recorded overall, including those dropped beyond `keep`. */
  readonly total: number;
  /** Group key of the last entry, so a following transfer of the same group extends it. */
  readonly lastGroup: string | null;
}

/** Allocation history projection keeping the last `keep` entries (default 1000). */
export function allocationHistoryProjection(options: { readonly keep?: number } = {}): Projection<AllocationHistoryState> {
  const keep = options.keep ?? 1000;
  return {
    name: 'allocation-history',
    // 4: the accounts in its state carry transfers before and after the slice's execution.
    version: 4,
    fingerprint: `keep=${keep}`,
    init: () => ({ accounts: emptyAccounts(), entries: [], total: 0, lastGroup: null }),
    evolve(s, event, context) {
      const { accounts } = context ? context.accountsStep(s.accounts, event) : evolveAccounts(s.accounts, event);
      if (event.type !== 'CapitalTransferred') {
        return accounts === s.accounts && s.lastGroup === null ? s : { accounts, entries: s.entries, total: s.total, lastGroup: null };
      }
      const group = `${event.metadata.barTime ?? ''}\u0000${event.data.rebalanceId ?? `reason:${event.data.reason}`}`;
      const extend = s.lastGroup === group && s.entries.length > 0;
      const previous = extend ? s.entries[s.entries.length - 1] : undefined;
      const ids = activeStrategyIds(accounts);
      const total = ids.reduce((t, id) => t.plus(accounts.strategies.get(id)?.value ?? ZERO), accounts.reserve);
      const entry: AllocationEntry = {
        barTime: event.metadata.barTime,
        position: event.position,
        rebalanceId: event.data.rebalanceId,
        reason: event.data.reason,
        moved: decStr(ZERO.plus(previous?.moved ?? '0').plus(event.data.amount)),
        capital: Object.fromEntries(ids.map((id) => [id, decStr(accounts.strategies.get(id)?.value ?? ZERO)])),
        reserve: decStr(accounts.reserve),
        weights: Object.fromEntries(
          ids.map((id) => [id, total.greaterThan(0) ? (accounts.strategies.get(id)?.value ?? ZERO).div(total).toNumber() : Number.NaN]),
        ),
      };
      const kept = extend ? s.entries.slice(0, -1) : s.entries;
      const entries = keep > 0 ? [...kept.slice(Math.max(0, kept.length - keep + 1)), entry] : kept;
      return { accounts, entries, total: extend ? s.total : s.total + 1, lastGroup: group };
    },
  };
}
