// Decimal amounts of events (a fill's, a mark's), parsed from their decimal strings; pure functions, no caches.
import { Dec } from '../src/money/decimal.js';
import type { EventData } from '../events/catalogue.js';
import { scaledOfText, type Amount } from '../src/money/scaledAmounts.js';

/** Quantity, price and commission of a fill as Decimals. */
export interface FillAmounts {
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
}

/** The Decimal of a decimal string. */
export function decimalOf(text: string): Dec {
  return new Dec(text);
}

/** The fill's amounts, parsed from their decimal strings. */
export function fillAmounts(data: EventData<'FillRecorded'>): FillAmounts {
  return { quantity: new Dec(data.quantity), price: new Dec(data.price), commission: new Dec(data.commission) };
}

/** Quantity, price and commission of a fill as exact amounts (safe integers where they fit, else Decimals). */
export interface FillScaled {
  readonly quantity: Amount;
  readonly price: Amount;
  readonly commission: Amount;
}

/** The fill's amounts for safe-integer arithmetic (each one a Decimal when its text does not fit). */
export function fillScaled(data: EventData<'FillRecorded'>): FillScaled {
  return { quantity: amountOf(data.quantity), price: amountOf(data.price), commission: amountOf(data.commission) };
}

const amountOf = (text: string): Amount => scaledOfText(text) ?? new Dec(text);

/** A record of decimal strings (a BarMarked's marks, values or cash) as a Map of Decimals. */
export function decimalMap(record: Readonly<Record<string, string>>): ReadonlyMap<string, Dec> {
  const parsed = new Map<string, Dec>();
  for (const key of Object.keys(record)) parsed.set(key, new Dec(record[key] as string));
  return parsed;
}
