// Exact decimal arithmetic in safe integers for hot paths (valuation, the folds' fills), with Decimal whenever a value or result does not fit.
// What it buys: valuing a ledger of 8 positions takes 2.1 µs against 5.0 µs in Decimals (bench hotPaths).
import { Dec } from './decimal.js';

/**
 * An exact decimal `units × 10^−places` with `units` a safe integer: sums and products of such values are exact in
 * binary as long as their result stays a safe integer (a true result beyond 2^53 rounds to a double ≥ 2^53, which
 * the range check sees), so no digit is ever guessed. Immutable.
 */
export class Scaled {
  constructor(
    readonly units: number,
    readonly places: number,
  ) {}
}

/** A money amount inside a fold's working copy: exact either way, in safe integers while it fits. */
export type Amount = Scaled | Dec;

/** A Decimal operation to use when the safe-integer one cannot (its rounding or refusal rules are the caller's). */
export type DecOp = (a: Dec, b: Dec) => Dec;

const MAX = Number.MAX_SAFE_INTEGER;
// Every power of ten up to 10^22 is exact in a double.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
// 15 digits: the largest count whose every integer is a safe integer.
const MAX_DIGITS = 15;

/** A plain decimal text (`-12.340`: no sign but minus, no exponent) of at most 15 significant digits as a Scaled; null for anything else. */
export function scaledOfText(text: string): Scaled | null {
  const n = text.length;
  const start = n > 0 && text.charCodeAt(0) === 45 ? 1 : 0;
  let units = 0;
  let significant = 0;
  let places = -1;
  for (let i = start; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (places >= 0 || i === start || i === n - 1) return null;
      places = 0;
      continue;
    }
    if (c < 48 || c > 57) return null;
    units = units * 10 + (c - 48);
    // Digits from the first non-zero one on; 15 of them always make a safe integer.
    if (units !== 0 && ++significant > MAX_DIGITS) return null;
    if (places >= 0) places += 1;
  }
  if (n === start || places >= POW10.length) return null;
  return new Scaled(start === 1 ? 0 - units : units, places < 0 ? 0 : places);
}

// A Decimal's Scaled form, once per Decimal (state values are reused across working copies and events).
const scaledOfDecimal = new WeakMap<Dec, Scaled | null>();
// A Scaled's Decimal, once per Scaled (values unchanged between two ends of a fold are not rebuilt).
const decimalOfScaled = new WeakMap<Scaled, Dec>();

/** The Scaled form of an amount, or null when it has more than 15 significant digits. */
export function scaledOf(a: Amount): Scaled | null {
  if (a instanceof Scaled) return a;
  let s = scaledOfDecimal.get(a);
  if (s === undefined) {
    s = a.isFinite() && a.sd(true) <= MAX_DIGITS ? scaledOfText(a.toFixed()) : null;
    scaledOfDecimal.set(a, s);
  }
  return s;
}

/** The amount as a Decimal (exact: built from its digits). */
export function toDec(a: Amount): Dec {
  if (!(a instanceof Scaled)) return a;
  let d = decimalOfScaled.get(a);
  if (d === undefined) {
    d = freshDec(a);
    decimalOfScaled.set(a, d);
    scaledOfDecimal.set(d, a);
  }
  return d;
}

/** The amount as a new Decimal, remembered nowhere: for a one-off result (an entry in the caches costs the collector). */
export function freshDec(a: Amount): Dec {
  if (!(a instanceof Scaled)) return a;
  return a.places === 0 ? new Dec(a.units) : new Dec(`${a.units < 0 ? '-' : ''}${digitsWithPoint(Math.abs(a.units), a.places)}`);
}

function digitsWithPoint(units: number, places: number): string {
  const digits = String(units).padStart(places + 1, '0');
  return `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
}

/** The amount's canonical decimal text (as `decStr` writes it: no exponent, no trailing zeros, no "-0"). */
export function textOf(a: Amount): string {
  if (!(a instanceof Scaled)) return a.isZero() ? '0' : a.toString();
  if (a.units === 0) return '0';
  let units = Math.abs(a.units);
  let places = a.places;
  while (places > 0 && units % 10 === 0) {
    units /= 10;
    places -= 1;
  }
  const digits = places === 0 ? String(units) : digitsWithPoint(units, places);
  return a.units < 0 ? `-${digits}` : digits;
}

/** `a × 10^k` when it stays a safe integer, else NaN. */
function rescale(a: number, k: number): number {
  if (k === 0) return a;
  const p = POW10[k];
  if (p === undefined) return Number.NaN;
  const r = a * p;
  return Math.abs(r) <= MAX ? r : Number.NaN;
}

function sum(x: Scaled, y: Scaled, sign: 1 | -1): Scaled | null {
  let a = x.units;
  let b = y.units;
  let places = x.places;
  if (x.places < y.places) {
    a = rescale(a, y.places - x.places);
    places = y.places;
  } else if (y.places < x.places) {
    b = rescale(b, x.places - y.places);
  }
  const r = sign === 1 ? a + b : a - b;
  // NaN (a rescale out of range) fails this check too.
  if (!(Math.abs(r) <= MAX)) return null;
  return new Scaled(r + 0, places);
}

/** a + b, exactly in safe integers when both fit, else `slow` on Decimals. */
export function plus(a: Amount, b: Amount, slow: DecOp): Amount {
  const x = scaledOf(a);
  const y = x === null ? null : scaledOf(b);
  if (x !== null && y !== null) {
    const r = sum(x, y, 1);
    if (r !== null) return r;
  }
  return slow(toDec(a), toDec(b));
}

/** a − b, exactly in safe integers when both fit, else `slow` on Decimals. */
export function minus(a: Amount, b: Amount, slow: DecOp): Amount {
  const x = scaledOf(a);
  const y = x === null ? null : scaledOf(b);
  if (x !== null && y !== null) {
    const r = sum(x, y, -1);
    if (r !== null) return r;
  }
  return slow(toDec(a), toDec(b));
}

/** a × b, exactly in safe integers when both fit, else `slow` on Decimals. */
export function times(a: Amount, b: Amount, slow: DecOp): Amount {
  const x = scaledOf(a);
  const y = x === null ? null : scaledOf(b);
  if (x !== null && y !== null) {
    const r = x.units * y.units;
    if (Math.abs(r) <= MAX && x.places + y.places < POW10.length) return new Scaled(r + 0, x.places + y.places);
  }
  return slow(toDec(a), toDec(b));
}

/** −a (exact). */
export function negated(a: Amount): Amount {
  return a instanceof Scaled ? new Scaled(0 - a.units, a.places) : a.negated();
}

/** −1, 0 or 1. */
export function signOf(a: Amount): number {
  if (a instanceof Scaled) return a.units > 0 ? 1 : a.units < 0 ? -1 : 0;
  return a.isZero() ? 0 : a.isNegative() ? -1 : 1;
}

/** |a| (exact). */
export function absolute(a: Amount): Amount {
  return a instanceof Scaled ? (a.units < 0 ? new Scaled(0 - a.units, a.places) : a) : a.abs();
}

/** The sign of a − b, exactly (never rounds, never throws). */
export function compare(a: Amount, b: Amount): number {
  const x = scaledOf(a);
  const y = x === null ? null : scaledOf(b);
  if (x !== null && y !== null) {
    const r = sum(x, y, -1);
    if (r !== null) return signOf(r);
  }
  return toDec(a).comparedTo(toDec(b));
}
