// Exact decimals as bigint units × 10^−scale: the engine's fills, commissions, cash and valuation without Decimal objects.
// Every operation is exact; a caller that must match Decimal's 34-digit results checks `fits` and takes its Decimal path when it fails.
import { Dec, type DecString } from './decimal.js';

/** Significant digits a Decimal result keeps (the `Dec` precision): an exact result within them is the Decimal result. */
export const EXACT_DIGITS = 34;

/** An exact decimal `units × 10^−scale` (scale ≥ 0). Immutable; the same value may have several scales. */
export class Exact {
  // `units` as a number once asked for (NaN when not a safe integer): marks and quantities are read every slice.
  #small: number | undefined = undefined;

  constructor(
    readonly units: bigint,
    readonly scale: number,
  ) {}

  /** `units` as a number when it is a safe integer (|units| ≤ 2^53 − 1), else NaN. */
  get smallUnits(): number {
    if (this.#small !== undefined) return this.#small;
    const u = this.units;
    this.#small = u <= MAX_SAFE && u >= NEGATIVE_MAX_SAFE ? Number(u) : NaN;
    return this.#small;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NEGATIVE_MAX_SAFE = -MAX_SAFE;
// Every power of ten up to 10^22 is exact in a double.
const POW10_NUMBER = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Whether a double computed from safe integers by one addition or multiplication is the exact result: a true result
 * within 2^53 − 1 is a double, and one beyond rounds to a double beyond it too, so the range check sees every inexact step.
 */
export function isSafe(x: number): boolean {
  return x <= Number.MAX_SAFE_INTEGER && x >= -Number.MAX_SAFE_INTEGER;
}

/** `units × 10^k` for a safe integer `units` and k ≥ 0; NaN (never safe) when it would leave the safe integers. */
export function smallRescaled(units: number, k: number): number {
  if (k === 0) return units;
  const x = units * (POW10_NUMBER[k] ?? NaN);
  return isSafe(x) ? x : NaN;
}

const POW10: bigint[] = [1n];

/** 10^k as a bigint (k ≥ 0). */
export function pow10(k: number): bigint {
  for (let i = POW10.length; i <= k; i += 1) POW10.push((POW10[i - 1] as bigint) * 10n);
  return POW10[k] as bigint;
}

const LIMIT = pow10(EXACT_DIGITS);
// Kept, not negated per call: every bigint operation, a negation included, makes a new one.
const NEGATIVE_LIMIT = -LIMIT;

export const EXACT_ZERO = new Exact(0n, 0);

/** The units of `a` at the finer scale `scale` (≥ a.scale). */
function unitsAt(a: Exact, scale: number): bigint {
  return scale === a.scale ? a.units : a.units * pow10(scale - a.scale);
}

export function add(a: Exact, b: Exact): Exact {
  if (a.scale === b.scale) return new Exact(a.units + b.units, a.scale);
  const scale = a.scale > b.scale ? a.scale : b.scale;
  return new Exact(unitsAt(a, scale) + unitsAt(b, scale), scale);
}

export function sub(a: Exact, b: Exact): Exact {
  if (a.scale === b.scale) return new Exact(a.units - b.units, a.scale);
  const scale = a.scale > b.scale ? a.scale : b.scale;
  return new Exact(unitsAt(a, scale) - unitsAt(b, scale), scale);
}

export function mul(a: Exact, b: Exact): Exact {
  return new Exact(a.units * b.units, a.scale + b.scale);
}

export function neg(a: Exact): Exact {
  return new Exact(-a.units, a.scale);
}

export function abs(a: Exact): Exact {
  return a.units < 0n ? new Exact(-a.units, a.scale) : a;
}

/** −1, 0 or 1. */
export function sign(a: Exact): number {
  return a.units > 0n ? 1 : a.units < 0n ? -1 : 0;
}

/** The sign of a − b. */
export function cmp(a: Exact, b: Exact): number {
  if (a.scale === b.scale) return a.units > b.units ? 1 : a.units < b.units ? -1 : 0;
  const scale = a.scale > b.scale ? a.scale : b.scale;
  const x = unitsAt(a, scale);
  const y = unitsAt(b, scale);
  return x > y ? 1 : x < y ? -1 : 0;
}

/** Whether `a` has at most 34 significant digits, so that Decimal holds it (and a Decimal operation yielding it) exactly. */
export function fits(a: Exact): boolean {
  const units = a.units;
  if (units < LIMIT && units > NEGATIVE_LIMIT) return true;
  let u = units < 0n ? -units : units;
  while (u % 10n === 0n) u /= 10n;
  return u < LIMIT;
}

/** `a` when it fits in 34 significant digits, else null. */
export function fitting(a: Exact): Exact | null {
  return fits(a) ? a : null;
}

/**
 * A plain decimal text (`-12.340`: an optional minus, digits, optionally a point and more digits) as an Exact; null for
 * anything else (exponents, a plus sign, a bare point, blanks), which callers parse as Decimals.
 */
export function exactOfText(text: string): Exact | null {
  const point = plainPoint(text);
  if (point === NOT_PLAIN) return null;
  if (point < 0) return new Exact(BigInt(text), 0);
  return new Exact(BigInt(text.slice(0, point) + text.slice(point + 1)), text.length - point - 1);
}

/** Whether `text` is a plain decimal text, as {@link exactOfText} reads (checked without parsing it). */
export function isPlainDecimal(text: string): boolean {
  return plainPoint(text) !== NOT_PLAIN;
}

const NOT_PLAIN = -2;

/** Index of the point of a plain decimal text, −1 when it has none, NOT_PLAIN when it is not one. */
function plainPoint(text: string): number {
  const n = text.length;
  const start = n > 0 && text.charCodeAt(0) === 45 ? 1 : 0;
  if (n === start) return NOT_PLAIN;
  let point = -1;
  for (let i = start; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (point >= 0 || i === start || i === n - 1) return NOT_PLAIN;
      point = i;
    } else if (c < 48 || c > 57) {
      return NOT_PLAIN;
    }
  }
  return point;
}

/** A finite Decimal as an Exact, read from its digits (decimal.js documents `d`, `e` and `s`: base-1e7 limbs, exponent, sign). */
export function exactOfDec(x: Dec): Exact {
  const limbs = x.d;
  if (!limbs) throw new RangeError(`not a finite decimal: ${x.toString()}`);
  const n = limbs.length;
  const first = limbs[0] as number;
  // Up to two limbs (14 digits) are exact in a double.
  let units = BigInt(n === 1 ? first : first * LIMB + (limbs[1] as number));
  for (let i = 2; i < n; i += 1) units = units * LIMB_N + BigInt(limbs[i] as number);
  if (x.s < 0) units = -units;
  // The limbs are aligned on multiples of 7 in the exponent: the last one ends at 10^(7 × (⌊e/7⌋ − n + 1)).
  const exponent = LIMB_DIGITS * (Math.floor(x.e / LIMB_DIGITS) - n + 1);
  return exponent >= 0 ? new Exact(exponent === 0 ? units : units * pow10(exponent), 0) : new Exact(units, -exponent);
}

const LIMB_DIGITS = 7;
const LIMB = 10_000_000;
const LIMB_N = 10_000_000n;

/** The canonical text of `a`, as `decStr` writes the same value: no exponent, no trailing zeros, no "-0". */
export function textOf(a: Exact): DecString {
  const u = a.units;
  if (u === 0n) return '0';
  const negative = u < 0n;
  const digits = (negative ? -u : u).toString();
  if (a.scale === 0) return negative ? `-${digits}` : digits;
  let end = digits.length;
  const pointAt = end - a.scale;
  // Trailing zeros of the fraction go; those of the integer part stay.
  while (end > pointAt && end > 0 && digits.charCodeAt(end - 1) === 48) end -= 1;
  let out: string;
  if (pointAt <= 0) out = end <= 0 ? '0' : `0.${'0'.repeat(-pointAt)}${digits.slice(0, end)}`;
  else out = end === pointAt ? digits.slice(0, pointAt) : `${digits.slice(0, pointAt)}.${digits.slice(pointAt, end)}`;
  return negative ? `-${out}` : out;
}

/** `a` as a Decimal (exact when it fits in 34 significant digits). */
export function decOf(a: Exact): Dec {
  // A whole number below 10^7 is one limb: decimal.js builds it from the number directly, without parsing text.
  if (a.scale === 0 && a.units < SMALL && a.units > NEGATIVE_SMALL) return new Dec(Number(a.units));
  return new Dec(textOf(a));
}

const SMALL = 10_000_000n;
const NEGATIVE_SMALL = -SMALL;

// Decimal's rounded operations. `Dec` rounds every result to 34 significant digits, half to even; these give the
// same values from exact integers (a property test holds them to decimal.js), for strategy sizing, where quotients
// such as 1/3 never fit in 34 digits.

/** `a` rounded to `digits` significant digits, half to even; `sticky`: the true value lies a little beyond `a`'s magnitude. */
export function roundSignificant(a: Exact, digits: number, sticky = false): Exact {
  const negative = a.units < 0n;
  const magnitude = negative ? -a.units : a.units;
  if (magnitude < pow10(digits)) return a;
  const drop = digitCount(magnitude) - digits;
  const unit = pow10(drop);
  let kept = magnitude / unit;
  const twice = 2n * (magnitude - kept * unit);
  if (twice > unit || (twice === unit && (sticky || kept % 2n === 1n))) kept += 1n;
  const units = negative ? -kept : kept;
  const scale = a.scale - drop;
  return scale >= 0 ? new Exact(units, scale) : new Exact(units * pow10(-scale), 0);
}

/** a + b as `Dec` computes it. */
export function decPlus(a: Exact, b: Exact): Exact {
  return roundSignificant(add(a, b), EXACT_DIGITS);
}

/** a − b as `Dec` computes it. */
export function decMinus(a: Exact, b: Exact): Exact {
  return roundSignificant(sub(a, b), EXACT_DIGITS);
}

/** a × b as `Dec` computes it. */
export function decTimes(a: Exact, b: Exact): Exact {
  return roundSignificant(mul(a, b), EXACT_DIGITS);
}

/** a ÷ b (b ≠ 0) as `Dec` computes it: the quotient correctly rounded to 34 significant digits. */
export function decDivide(a: Exact, b: Exact): Exact {
  if (a.units === 0n) return EXACT_ZERO;
  const n = a.units < 0n ? -a.units : a.units;
  const d = b.units < 0n ? -b.units : b.units;
  // Enough digits that the quotient has at least 35 (one to round on), and whether anything is left beyond them.
  const shift = Math.max(0, EXACT_DIGITS + 1 - digitCount(n) + digitCount(d));
  const scaled = n * pow10(shift);
  const q = scaled / d;
  const rounded = roundSignificant(new Exact(q, 0), EXACT_DIGITS, q * d !== scaled);
  const units = a.units < 0n !== b.units < 0n ? -rounded.units : rounded.units;
  // a / b = q × 10^(b.scale − a.scale − shift), and `rounded` is a whole number like q.
  const scale = a.scale - b.scale + shift;
  return scale >= 0 ? new Exact(units, scale) : new Exact(units * pow10(-scale), 0);
}

/** Decimal digits of u > 0: estimated from its double, then settled against the powers of ten (no text is made). */
function digitCount(u: bigint): number {
  const approx = Number(u);
  if (!Number.isFinite(approx)) return u.toString().length;
  let k = Math.floor(Math.log10(approx)) + 1;
  while (u >= pow10(k)) k += 1;
  while (k > 1 && u < pow10(k - 1)) k -= 1;
  return k;
}

/** `a` with its fraction cut off (towards zero). */
export function truncate(a: Exact): Exact {
  return a.scale === 0 ? a : new Exact(a.units / pow10(a.scale), 0);
}
