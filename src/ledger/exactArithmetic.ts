// Decimal arithmetic that refuses to round silently: the ledger's products and sums must be exact for capital to be conserved.
import { Dec } from '../money/decimal.js';
import { LedgerError } from '../errors.js';
import { Exact, add, decOf, exactOfDec, fits, mul, pow10, sub } from '../money/exact.js';

/** Significant digits of `Dec` (its configured precision); a result needing more would be rounded. */
export const DEC_PRECISION = 34;

// Wide enough that every product or sum of two 34-digit values is exact (decimal.js only spends time on digits actually present).
const Wide = Dec.clone({ precision: 1_000 });
type Wide = InstanceType<typeof Wide>;
// Truncating quotients to 60 significant digits, then to the scale we keep, equals truncating the exact quotient.
const TRUNCATING_DIGITS = 60;
const Truncating = Dec.clone({ precision: TRUNCATING_DIGITS, rounding: Dec.ROUND_DOWN });

/** Digits a sum of `a` and `b` can need: one carry above the larger exponent down to the finer of their last decimals. */
function sumDigitsBound(a: Dec, b: Dec): number {
  return Math.max(a.e, b.e) + 2 + Math.max(a.decimalPlaces(), b.decimalPlaces());
}

function narrow(value: Wide, where: string, what: string): Dec {
  if (value.sd() > DEC_PRECISION) {
    throw new LedgerError(
      `${where}: ${what} = ${value.toString()} needs more than ${DEC_PRECISION} significant digits and would be rounded; use fewer decimal places or smaller amounts`,
    );
  }
  return new Dec(value);
}

/**
 * Exact product `a × b`.
 * @throws LedgerError when the product needs more than 34 significant digits.
 */
export function exactTimes(a: Dec, b: Dec, where: string): Dec {
  // Fast path: a product never has more significant digits than its factors together.
  if (a.sd() + b.sd() <= DEC_PRECISION) return a.times(b);
  return narrow(new Wide(a).times(b), where, `${a.toString()} × ${b.toString()}`);
}

/**
 * Exact sum `a + b`.
 * @throws LedgerError when the sum needs more than 34 significant digits.
 */
export function exactPlus(a: Dec, b: Dec, where: string): Dec {
  if (sumDigitsBound(a, b) <= DEC_PRECISION) return a.plus(b);
  return narrow(new Wide(a).plus(b), where, `${a.toString()} + ${b.toString()}`);
}

/**
 * Exact difference `a − b`.
 * @throws LedgerError when the difference needs more than 34 significant digits.
 */
export function exactMinus(a: Dec, b: Dec, where: string): Dec {
  if (sumDigitsBound(a, b) <= DEC_PRECISION) return a.minus(b);
  return narrow(new Wide(a).minus(b), where, `${a.toString()} − ${b.toString()}`);
}

/**
 * `numerator / denominator` truncated towards zero at `decimals` places, and the exact remainder
 * `numerator − truncated × denominator` (same sign as the quotient's cut-off part, scaled by the denominator).
 */
export function truncatedQuotient(numerator: Dec, denominator: Dec, decimals: number): { readonly truncated: Dec; readonly remainder: Dec } {
  const q = new Truncating(numerator).div(denominator).toDecimalPlaces(decimals, Dec.ROUND_DOWN);
  const truncated = new Dec(q);
  const remainder = new Wide(numerator).minus(new Wide(truncated).times(denominator));
  return { truncated, remainder: new Dec(remainder) };
}

/**
 * {@link truncatedQuotient} of `a × b` by `denominator`: the product is a step of the division, never kept, so it is
 * exact at any length (a commission share is commission × |quantity| / Σ|quantity|, and only the share is recorded).
 */
export function truncatedShare(a: Dec, b: Dec, denominator: Dec, decimals: number): { readonly truncated: Dec; readonly remainder: Dec } {
  return truncatedQuotient(new Wide(a).times(b), denominator, decimals);
}

/** `numerator / denominator` rounded to `decimals` places, half to even, decided from the exact remainder (no double rounding). */
export function roundedQuotient(numerator: Dec, denominator: Dec, decimals: number): Dec {
  const { truncated, remainder } = truncatedQuotient(numerator, denominator, decimals);
  if (remainder.isZero()) return truncated;
  // Compare the cut-off part with half a unit, exactly: 2 × |remainder| against |denominator| × 10^−decimals.
  const cmp = new Wide(remainder).abs().times(2).comparedTo(new Wide(denominator).abs().times(`1e-${decimals}`));
  const lastDigitOdd = new Wide(truncated).times(`1e${decimals}`).mod(2).abs().eq(1);
  if (cmp < 0 || (cmp === 0 && !lastDigitOdd)) return truncated;
  const unit = new Dec(`1e-${decimals}`);
  // The quotient is negative exactly when its cut-off part (remainder / denominator) is.
  return remainder.isNegative() !== denominator.isNegative() ? truncated.minus(unit) : truncated.plus(unit);
}

// The same three operations on exact bigint amounts: exact, and where Decimal would refuse the result (more than 34
// significant digits) the Decimal operation itself runs, so that the error is the same. `where` + `what` name the step
// (joined only when that happens, so the hot path builds no message).

/** a × b, or the LedgerError of {@link exactTimes}. */
export function timesExact(a: Exact, b: Exact, where: string, what: string): Exact {
  const r = mul(a, b);
  return fits(r) ? r : exactOfDec(exactTimes(decOf(a), decOf(b), where + what));
}

/** a + b, or the LedgerError of {@link exactPlus}. */
export function plusExact(a: Exact, b: Exact, where: string, what: string): Exact {
  const r = add(a, b);
  return fits(r) ? r : exactOfDec(exactPlus(decOf(a), decOf(b), where + what));
}

/** a − b, or the LedgerError of {@link exactMinus}. */
export function minusExact(a: Exact, b: Exact, where: string, what: string): Exact {
  const r = sub(a, b);
  return fits(r) ? r : exactOfDec(exactMinus(decOf(a), decOf(b), where + what));
}

/** {@link roundedQuotient} on exact amounts: the same value, computed in integers unless Decimal would round a step. */
export function roundedQuotientExact(numerator: Exact, denominator: Exact, decimals: number): Exact {
  // value × 10^decimals = num / den in integers.
  const shift = decimals + denominator.scale - numerator.scale;
  const num = shift >= 0 ? numerator.units * pow10(shift) : numerator.units;
  const den = shift >= 0 ? denominator.units : denominator.units * pow10(-shift);
  let q = num / den;
  const r = num - q * den;
  // The Decimal path truncates at 60 significant digits first, and rounds a last-unit step beyond 34: only then do they differ.
  if ((q < 0n ? -q : q) < QUOTIENT_LIMIT) {
    if (r !== 0n) {
      const twice = 2n * (r < 0n ? -r : r);
      const whole = den < 0n ? -den : den;
      if (twice > whole || (twice === whole && q % 2n !== 0n)) q += num < 0n !== den < 0n ? -1n : 1n;
    }
    const result = new Exact(q, decimals);
    if (fits(result)) return result;
  }
  return exactOfDec(roundedQuotient(decOf(numerator), decOf(denominator), decimals));
}

const QUOTIENT_LIMIT = pow10(TRUNCATING_DIGITS);
