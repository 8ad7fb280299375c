// The building blocks every metric file shares: NaN-skipping, the mean and the sample standard deviation.

/** Non-NaN entries of a series, in order (empyrical's nan-functions skip NaN the same way). */
export function finite(returns: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) out.push(r);
  }
  return out;
}

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (ddof 1), two-pass as numpy computes it; NaN below two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}
