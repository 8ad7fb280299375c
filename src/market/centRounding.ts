// Half-even rounding of a price statistic to whole cents, exact on the number's shortest decimal text and without Decimal allocation.
import { InvalidNumberError } from '../errors.js';
import { Dec, decFromStatistic } from '../money/decimal.js';

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;
/** Largest price whose cents are still a safe integer. */
export const MAX_CENT_PRICE = 9e13;

/**
 * Rounds a positive price to integer cents, half to even, applied to `String(price)` (its shortest round-trip
 * decimal text): the same result as `decFromStatistic(price).toDecimalPlaces(2, ROUND_HALF_EVEN)`, several times faster.
 * @throws InvalidNumberError for NaN, a negative price, or one of {@link MAX_CENT_PRICE} or more.
 */
export function roundToCents(price: number): number {
  if (!(price >= 0 && price < MAX_CENT_PRICE)) {
    throw new InvalidNumberError(`price ${String(price)} is outside [0, ${MAX_CENT_PRICE}) and cannot be rounded to cents`);
  }
  const text = String(price);
  const dot = text.indexOf('.');
  const units = dot < 0 ? Number(text) : Number(text.slice(0, dot));
  if (!PLAIN_DECIMAL.test(text)) {
    // Prices below 1e-6 print with an exponent; the exact Decimal path handles them.
    return decFromStatistic(price, 'price').toDecimalPlaces(2, Dec.ROUND_HALF_EVEN).times(100).toNumber();
  }
  if (dot < 0) return units * 100;
  const frac = text.slice(dot + 1);
  let cents = units * 100 + Number(frac.slice(0, 2).padEnd(2, '0'));
  if (frac.length > 2) {
    const next = frac.charCodeAt(2) - 48;
    const tieOrAbove = next > 5 || (next === 5 && (/[1-9]/.test(frac.slice(3)) || cents % 2 === 1));
    if (tieOrAbove) cents += 1;
  }
  return cents;
}

/** Decimal text of integer cents in canonical form (`12345` → "123.45", `12340` → "123.4", `12300` → "123"). */
export function centsText(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const part = abs % 100;
  if (part === 0) return `${sign}${whole}`;
  if (part % 10 === 0) return `${sign}${whole}.${part / 10}`;
  return `${sign}${whole}.${String(part).padStart(2, '0')}`;
}
