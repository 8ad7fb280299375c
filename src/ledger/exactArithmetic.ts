// Decimal arithmetic that refuses to round silently: the ledger's products and sums must be exact for capital to be conserved.
import { Dec } from '../money/decimal.js';
import { LedgerError } from '../errors.js';

/** Significant digits of `Dec` (its configured precision); a result needing more would be rounded. */
export const DEC_PRECISION = 34;

// Wide enough that every product or sum of two 34-digit values is exact, and quotients are rounded only far below any scale we keep.
const Wide = Dec.clone({ precision: 1_000 });
type Wide = InstanceType<typeof Wide>;

function narrow(value: Wide, where: string, what: string): Dec {
  if (value.sd() > DEC_PRECISION) {
    throw new LedgerError(
      `${where}: ${what} = ${value.toString()} needs more than ${DEC_PRECISION} significant digits and would be rounded; use fewer decimal places or smaller amounts`,
    );
  }
  return new Dec(value.toString());
}

/**
 * Exact product `a × b`.
 * @throws LedgerError when the product needs more than 34 significant digits.
 */
export function exactTimes(a: Dec, b: Dec, where: string): Dec {
  // Fast path: a product never has more significant digits than its factors together.
  if (a.sd() + b.sd() <= DEC_PRECISION) return a.times(b);
  return narrow(new Wide(a.toString()).times(b.toString()), where, `${a.toString()} × ${b.toString()}`);
}

/**
 * Exact sum `a + b`.
 * @throws LedgerError when the sum needs more than 34 significant digits.
 */
export function exactPlus(a: Dec, b: Dec, where: string): Dec {
  return narrow(new Wide(a.toString()).plus(b.toString()), where, `${a.toString()} + ${b.toString()}`);
}

/**
 * Exact difference `a − b`.
 * @throws LedgerError when the difference needs more than 34 significant digits.
 */
export function exactMinus(a: Dec, b: Dec, where: string): Dec {
  return narrow(new Wide(a.toString()).minus(b.toString()), where, `${a.toString()} − ${b.toString()}`);
}

/** `numerator / denominator` rounded to `decimals` places with banker's rounding (`Dec`'s rounding mode), from a 1,000-digit quotient. */
export function roundedQuotient(numerator: Dec, denominator: Dec, decimals: number): Dec {
  const q = new Wide(numerator.toString()).div(denominator.toString());
  return new Dec(q.toDecimalPlaces(decimals, Dec.ROUND_HALF_EVEN).toString());
}

/** `numerator / denominator` truncated towards zero at `decimals` places, with the exact (1,000-digit) part cut off. */
export function truncatedQuotient(numerator: Dec, denominator: Dec, decimals: number): { readonly truncated: Dec; readonly remainder: Dec } {
  const q = new Wide(numerator.toString()).div(denominator.toString());
  const truncated = q.toDecimalPlaces(decimals, Dec.ROUND_DOWN);
  return { truncated: new Dec(truncated.toString()), remainder: new Dec(q.minus(truncated).toString()) };
}
