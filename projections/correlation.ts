// Correlation projection: running pairwise co-moments of strategies' returns over the bars both were valued at (O(strategies²) memory).
import { addPair, emptyPairStats, pairCorrelation, type PairStats } from '../src/metrics/index.js';
import type { Projection } from './projection.js';
import { emptyAccounts, evolveAccounts, type CapitalAccounts } from './capitalAccounts.js';

/** State of the correlation projection. */
export interface CorrelationState {
  readonly accounts: CapitalAccounts;
  /** Co-moments keyed `a\u0000b` with a < b. */
  readonly pairs: ReadonlyMap<string, PairStats>;
  /** Every strategy that has had a return. */
  readonly ids: readonly string[];
}

const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;

/** Correlation projection (returns aligned by bar time: one BarMarked is one period). */
export const correlationProjection: Projection<CorrelationState> = {
  name: 'correlation',
  version: 2,
  init: () => ({ accounts: emptyAccounts(), pairs: new Map(), ids: [] }),
  evolve(s, event) {
    const { accounts, returns } = evolveAccounts(s.accounts, event);
    if (!returns) return accounts === s.accounts ? s : { ...s, accounts };
    const present = [...returns.keys()].sort();
    const ids = present.some((id) => !s.ids.includes(id)) ? [...new Set([...s.ids, ...present])].sort() : s.ids;
    const pairs = new Map(s.pairs);
    for (let i = 0; i < present.length; i += 1) {
      for (let j = i + 1; j < present.length; j += 1) {
        const a = present[i] as string;
        const b = present[j] as string;
        pairs.set(pairKey(a, b), addPair(pairs.get(pairKey(a, b)) ?? emptyPairStats(), returns.get(a) as number, returns.get(b) as number));
      }
    }
    return { accounts, pairs, ids };
  },
};

/** The correlation matrix (rows and columns in `ids` order); 1 on the diagonal, NaN where fewer than two common bars. */
export function correlationView(s: CorrelationState): { ids: string[]; matrix: number[][]; commonBars: number[][] } {
  const ids = [...s.ids];
  const matrix = ids.map((a) =>
    ids.map((b) => {
      if (a === b) return 1;
      const p = s.pairs.get(a < b ? pairKey(a, b) : pairKey(b, a));
      return p ? pairCorrelation(p) : Number.NaN;
    }),
  );
  const commonBars = ids.map((a) => ids.map((b) => (a === b ? 0 : (s.pairs.get(a < b ? pairKey(a, b) : pairKey(b, a))?.count ?? 0))));
  return { ids, matrix, commonBars };
}
