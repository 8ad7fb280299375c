// The name a user probably meant when they typed one that is not known: a key, an option, a kind, an id, a flag value.

/**
 * Optimal string alignment distance (Levenshtein with adjacent transpositions): "montly" → "monthly" is 1, and so is
 * "fsat" → "fast".
 */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name closest to `given`, when it is close enough to be a typo of it: the same name in another case, one of
 * them a prefix of the other (at least three characters), the same word with another ending (`rebalance` for
 * `rebalancing`: a common start of five characters or more, three quarters of the shorter), or at most one edit in four
 * characters (at least one).
 * Null when nothing is that close, or two names are equally close (a guess would mislead).
 */
export function nearestName(given: string, known: Iterable<string>): string | null {
  const g = given.toLowerCase();
  if (g === '') return null;
  let best: string | null = null;
  let bestDistance = Infinity;
  let tie = false;
  for (const name of known) {
    if (name === given) continue;
    const n = name.toLowerCase();
    const distance = n === g ? 0 : g.length >= 3 && (n.startsWith(g) || g.startsWith(n)) ? 0.5 : sameStem(g, n) ? 1 : editDistance(g, n);
    if (distance > Math.max(1, Math.floor(Math.max(g.length, n.length) / 4))) continue;
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance && name !== best) {
      tie = true;
    }
  }
  return tie ? null : best;
}

/** Whether two names start alike for five characters or more, and for three quarters of the shorter. */
function sameStem(a: string, b: string): boolean {
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return common >= 5 && common * 4 >= Math.min(a.length, b.length) * 3;
}

/** `: did you mean "x"?` when a known name is close to `given` (see {@link nearestName}), else ''. */
export function didYouMean(given: string, known: Iterable<string>): string {
  const near = nearestName(given, known);
  return near === null ? '' : `: did you mean "${near}"?`;
}
