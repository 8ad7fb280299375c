// Correlation projection: running pairwise co-moments of strategies' returns over the bars both were valued at (O(strategies²) memory).
import { addPair, emptyPairStats, pairCorrelation, type PairStats } from '../src/metrics/index.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
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

/** The working copy of the correlation fold (a mutable pair map the runner owns; pair statistics stay immutable). */
export interface CorrelationWork {
  accounts: CapitalAccounts;
  readonly pairs: Map<string, PairStats>;
  ids: readonly string[];
}

const correlationFold: InPlaceFold<CorrelationState, CorrelationWork> = {
  begin: (s) => ({ accounts: s.accounts, pairs: new Map(s.pairs), ids: s.ids }),
  step(w, event) {
    const { accounts, returns } = evolveAccounts(w.accounts, event);
    w.accounts = accounts;
    if (!returns) return;
    const present = [...returns.keys()].sort();
    if (present.some((id) => !w.ids.includes(id))) w.ids = [...new Set([...w.ids, ...present])].sort();
    for (let i = 0; i < present.length; i += 1) {
      const a = present[i] as string;
      const x = returns.get(a) as number;
      for (let j = i + 1; j < present.length; j += 1) {
        const b = present[j] as string;
        const key = pairKey(a, b);
        w.pairs.set(key, addPair(w.pairs.get(key) ?? emptyPairStats(), x, returns.get(b) as number));
      }
    }
  },
  end: (w) => w,
};

/** Correlation projection (returns aligned by bar time: one BarMarked is one period; folded in place by the runner). */
export const correlationProjection: Projection<CorrelationState, CorrelationWork> = {
  name: 'correlation',
  version: 3,
  init: () => ({ accounts: emptyAccounts(), pairs: new Map(), ids: [] }),
  evolve: evolveByCopy(correlationFold),
  inPlace: correlationFold,
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
