// How much of the time and capital a book was put to work: time in market and turnover.

/**
 * Fraction of periods with a non-zero exposure (value held in positions, of either sign), over the non-NaN entries;
 * NaN for none. quantstats' `exposure` counts the same on returns; exposure is the direct record here.
 */
export function timeInMarket(exposures: ArrayLike<number>): number {
  let n = 0;
  let invested = 0;
  for (let i = 0; i < exposures.length; i += 1) {
    const e = exposures[i] as number;
    if (Number.isNaN(e)) continue;
    n += 1;
    if (e !== 0) invested += 1;
  }
  return n === 0 ? Number.NaN : invested / n;
}

/**
 * Turnover over the whole period: Σ |traded value| / mean book value (one-way: a full sale and a full rebuy of the book
 * count 2). `tradedValue` is the total of |quantity × price| over every fill; `values` the book's value at each period.
 * NaN when there are no values or their mean is not positive. Annualise with × factor / periods.
 */
export function turnover(tradedValue: number, values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    sum += v;
    n += 1;
  }
  if (n === 0 || !(sum > 0)) return Number.NaN;
  return tradedValue / (sum / n);
}
