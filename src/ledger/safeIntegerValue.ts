// An exact fast path for ledger valuation: cash + Σ quantity × mark in safe integers, or nothing when an amount does not fit.
import { Dec } from '../money/decimal.js';
import type { LedgerState } from './types.js';

/** A decimal as an integer count of 10^−places (both safe integers), or null when it has more than 15 significant digits. */
interface Units {
  readonly units: number;
  readonly places: number;
}

// Amounts are immutable and reused (a mark across every strategy in a slice, a quantity until its next fill), so each is converted once.
const unitsOf = new WeakMap<Dec, Units | null>();

// 10^k as an exact double for the scales used here (exact up to 10^22).
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX = Number.MAX_SAFE_INTEGER;

function toUnits(value: Dec): Units | null {
  const known = unitsOf.get(value);
  if (known !== undefined) return known;
  let units: Units | null = null;
  // Up to 15 significant digits, the digit string read as an integer is exact in a double.
  if (value.isFinite() && value.sd(true) <= 15) {
    const places = Math.max(0, value.decimalPlaces());
    const n = Number(value.toFixed(places).replace('.', ''));
    if (Number.isSafeInteger(n) && places < POW10.length) units = { units: n, places };
  }
  unitsOf.set(value, units);
  return units;
}

/** `a × 10^k` when exact (the true result of safe integers is ≤ 2^53 exactly when the rounded one is). */
function scale(a: number, k: number): number | null {
  if (k === 0) return a;
  const p = POW10[k];
  if (p === undefined) return null;
  const r = a * p;
  return Math.abs(r) <= MAX ? r : null;
}

/**
 * Value of the ledger as {@link ledgerValue} computes it, but in safe integers; null when any amount, product or partial sum
 * would leave the safe range (the caller then uses Decimal). Whenever it returns a value, that value is exact.
 */
export function safeIntegerValue(state: LedgerState, markOf: (symbol: string) => Dec | undefined): Dec | null {
  const cash = toUnits(state.cash);
  if (cash === null) return null;
  let total = cash.units;
  let places = cash.places;
  for (const p of state.positions.values()) {
    const mark = markOf(p.symbol);
    if (mark === undefined) return null;
    const q = toUnits(p.quantity);
    const m = toUnits(mark);
    if (q === null || m === null) return null;
    let product = q.units * m.units;
    if (Math.abs(product) > MAX) return null;
    let productPlaces = q.places + m.places;
    // Bring both to the finer scale before adding.
    if (productPlaces > places) {
      const scaled = scale(total, productPlaces - places);
      if (scaled === null) return null;
      total = scaled;
      places = productPlaces;
    } else if (productPlaces < places) {
      const scaled = scale(product, places - productPlaces);
      if (scaled === null) return null;
      product = scaled;
      productPlaces = places;
    }
    total += product;
    if (Math.abs(total) > MAX) return null;
  }
  return fromUnits(total, places);
}

function fromUnits(units: number, places: number): Dec {
  if (places === 0) return new Dec(units);
  const digits = String(Math.abs(units)).padStart(places + 1, '0');
  const cut = digits.length - places;
  return new Dec(`${units < 0 ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`);
}
