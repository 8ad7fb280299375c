// The one Decimal configuration for money and quantities; values enter only from strings (or safe integers), never from binary floats.
import { Decimal as DecimalBase } from 'decimal.js';
import { InvalidNumberError } from '../errors.js';

/** Decimal clone used for every amount in stratafolio: 34 significant digits, banker's rounding, no exponent notation. */
export const Dec = DecimalBase.clone({
  precision: 34,
  rounding: DecimalBase.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type Dec = InstanceType<typeof Dec>;

/** A decimal amount serialised as a canonical string (no exponent, no trailing zeros, no "-0"). */
export type DecString = string;

export const ZERO: Dec = new Dec(0);
export const ONE: Dec = new Dec(1);

const DECIMAL_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a decimal from a string (or a safe integer), naming `where` in the error.
 * @throws InvalidNumberError for NaN, Infinity, empty or malformed text, and non-integer numbers.
 */
export function dec(value: string | number | Dec, where = 'value'): Dec {
  if (value instanceof Dec) {
    if (!value.isFinite()) throw new InvalidNumberError(`${where}: ${value.toString()} is not a finite number`);
    return value;
  }
  if (typeof value === 'number') {
    // Integers are exact in binary; fractions are not, so they must arrive as strings.
    if (!Number.isFinite(value)) throw new InvalidNumberError(`${where}: ${String(value)} is not a finite number`);
    if (!Number.isSafeInteger(value)) {
      throw new InvalidNumberError(`${where}: ${String(value)} must be given as a decimal string ('${String(value)}'), not a binary float`);
    }
    return new Dec(value);
  }
  const text = value.trim();
  if (!DECIMAL_PATTERN.test(text)) throw new InvalidNumberError(`${where}: "${value}" is not a decimal number`);
  return new Dec(text);
}

/**
 * Freezes a decimal and its digit array and returns it. Decimals are objects: strategy code handed one the engine keeps
 * (a held quantity, a close) could otherwise change it in place. decimal.js never writes to an existing value.
 */
export function frozenDec(value: Dec): Dec {
  Object.freeze(value.d);
  return Object.freeze(value);
}

/** Canonical string form of a decimal: the form stored in events and hashed. */
export function decStr(value: Dec): DecString {
  if (value.isZero()) return '0';
  return value.toString();
}

/** Sum of decimals (exact). */
export function decSum(values: Iterable<Dec>): Dec {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Converts a finite `number` statistic (e.g. a weight) into a Decimal through its shortest round-trip text. */
export function decFromStatistic(value: number, where = 'value'): Dec {
  if (!Number.isFinite(value)) throw new InvalidNumberError(`${where}: ${String(value)} is not a finite number`);
  return new Dec(String(value));
}
