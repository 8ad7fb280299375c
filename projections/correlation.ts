// Correlation projection: running pairwise co-moments of strategies' returns over the bars both were valued at (O(strategies²) memory).
import { addPair, emptyPairStats, pairCorrelation, type PairStats, type ReturnStats } from '../src/metrics/index.js';
import type { PerformanceState } from './performance.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { emptyAccounts, type CapitalAccounts } from './capitalAccounts.js';

/** State of the correlation projection. */
export interface CorrelationState {
  readonly accounts: CapitalAccounts;
  /** Co-moments keyed `a\u0000b` with a < b. */
  readonly pairs: ReadonlyMap<string, PairStats>;
  /** Every strategy that has had a return. */
  readonly ids: readonly string[];
}

const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;

/** One pair of the current mark's strategies: the indexes of its two ids in `present`, and its statistics. */
interface PairSlot {
  readonly key: string;
  readonly a: number;
  readonly b: number;
  stats: PairStats;
}

/** The working copy of the correlation fold (a mutable pair map the runner owns; pair statistics stay immutable). */
export interface CorrelationWork {
  accounts: CapitalAccounts;
  /** Pair statistics, except those of `slots`, which are ahead of this map until the next change of `present` or the end. */
  readonly pairs: Map<string, PairStats>;
  ids: readonly string[];
  /** The ascending ids of the last mark's returns (marks usually value the same strategies, so the pairs are found once). */
  present: readonly string[];
  slots: PairSlot[];
}

/** Writes the statistics the slots hold back into the pair map. */
function flush(w: CorrelationWork): void {
  for (const slot of w.slots) w.pairs.set(slot.key, slot.stats);
}

/** Makes `present` and one slot per pair of it, a < b, in the order the pairs were always visited. */
function useIds(w: CorrelationWork, present: readonly string[]): void {
  flush(w);
  const slots: PairSlot[] = [];
  for (let a = 0; a < present.length; a += 1) {
    for (let b = a + 1; b < present.length; b += 1) {
      const key = pairKey(present[a] as string, present[b] as string);
      slots.push({ key, a, b, stats: w.pairs.get(key) ?? emptyPairStats() });
    }
  }
  w.present = present;
  w.slots = slots;
  if (present.some((id) => !w.ids.includes(id))) w.ids = [...new Set([...w.ids, ...present])].sort();
}

const correlationFold: InPlaceFold<CorrelationState, CorrelationWork> = {
  begin: (s) => ({ accounts: s.accounts, pairs: new Map(s.pairs), ids: s.ids, present: [], slots: [] }),
  step(w, event, context) {
    const { accounts, returns } = context.accountsStep(w.accounts, event);
    w.accounts = accounts;
    if (!returns) return;
    let same = returns.size === w.present.length;
    if (same) {
      let i = 0;
      for (const id of returns.keys()) {
        if (w.present[i] !== id) {
          same = false;
          break;
        }
        i += 1;
      }
    }
    if (!same) useIds(w, [...returns.keys()].sort());
    const x = w.present.map((id) => returns.get(id) as number);
    for (const slot of w.slots) slot.stats = addPair(slot.stats, x[slot.a] as number, x[slot.b] as number);
  },
  end(w) {
    flush(w);
    return { accounts: w.accounts, pairs: w.pairs, ids: w.ids };
  },
};

/** Correlation projection (returns aligned by bar time: one BarMarked is one period; folded in place by the runner). */
export const correlationProjection: Projection<CorrelationState, CorrelationWork> = {
  name: 'correlation',
  // 4: strategy returns split transfers before and after the slice's execution (the accounts carry both).
  version: 4,
  init: () => ({ accounts: emptyAccounts(), pairs: new Map(), ids: [] }),
  evolve: evolveByCopy(correlationFold),
  inPlace: correlationFold,
};

/**
 * The correlation matrix (rows and columns in `ids` order), NaN where fewer than two common bars. The diagonal is a
 * strategy with itself: its common bars are its own returns (`performance` counts them), and its correlation is 1 when
 * those have a spread, NaN otherwise (Pearson is undefined for fewer than two returns or a constant series, as it is
 * off the diagonal).
 */
export function correlationView(s: CorrelationState, performance: PerformanceState): { ids: string[]; matrix: number[][]; commonBars: number[][] } {
  const ids = [...s.ids];
  const own = (id: string): ReturnStats | undefined => performance.strategies.get(id);
  const matrix = ids.map((a) =>
    ids.map((b) => {
      if (a === b) {
        const stats = own(a);
        return stats !== undefined && stats.count >= 2 && stats.m2 > 0 ? 1 : Number.NaN;
      }
      const p = s.pairs.get(a < b ? pairKey(a, b) : pairKey(b, a));
      return p ? pairCorrelation(p) : Number.NaN;
    }),
  );
  const commonBars = ids.map((a) => ids.map((b) => (a === b ? (own(a)?.count ?? 0) : (s.pairs.get(a < b ? pairKey(a, b) : pairKey(b, a))?.count ?? 0))));
  return { ids, matrix, commonBars };
}
