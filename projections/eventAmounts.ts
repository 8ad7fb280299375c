// Decimal amounts of events (a fill's, a mark's), parsed once and shared by every projection that folds them.
import { Dec } from '../src/money/decimal.js';
import type { EventData } from '../events/catalogue.js';
import { scaledOfText, type Amount } from '../src/money/scaledAmounts.js';

/** Quantity, price and commission of a fill as Decimals. */
export interface FillAmounts {
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
}

// Parsing a decimal string costs more than a whole fill's arithmetic, and fills repeat the same few quantities,
// commissions and nearby prices. A Decimal is immutable and a string has one value, so handing out the same
// parsed value for the same text is exact; the table is cleared when full so memory stays bounded.
const PARSED_LIMIT = 8_192;
const parsedTexts = new Map<string, Dec>();

/** The Decimal of a decimal string, parsed once while it keeps recurring (quantities, commissions, prices). */
export function decimalOf(text: string): Dec {
  let value = parsedTexts.get(text);
  if (value === undefined) {
    value = new Dec(text);
    if (parsedTexts.size >= PARSED_LIMIT) parsedTexts.clear();
    parsedTexts.set(text, value);
  }
  return value;
}

// Decimals are immutable, so handing the same parsed values to each projection keeps every evolve pure.
let lastFill: EventData<'FillRecorded'> | null = null;
let lastAmounts: FillAmounts | null = null;

/** The fill's amounts, parsed from their decimal strings (the previous fill's are reused when it is the same event data). */
export function fillAmounts(data: EventData<'FillRecorded'>): FillAmounts {
  if (lastAmounts !== null && lastFill === data) return lastAmounts;
  const amounts: FillAmounts = { quantity: decimalOf(data.quantity), price: decimalOf(data.price), commission: decimalOf(data.commission) };
  lastFill = data;
  lastAmounts = amounts;
  return amounts;
}

/** Quantity, price and commission of a fill as exact amounts (safe integers where they fit, else Decimals). */
export interface FillScaled {
  readonly quantity: Amount;
  readonly price: Amount;
  readonly commission: Amount;
}

let lastScaledFill: EventData<'FillRecorded'> | null = null;
let lastScaled: FillScaled | null = null;

/** The fill's amounts for safe-integer arithmetic (each one a Decimal when its text does not fit). */
export function fillScaled(data: EventData<'FillRecorded'>): FillScaled {
  if (lastScaled !== null && lastScaledFill === data) return lastScaled;
  const amounts: FillScaled = { quantity: amountOf(data.quantity), price: amountOf(data.price), commission: amountOf(data.commission) };
  lastScaledFill = data;
  lastScaled = amounts;
  return amounts;
}

const amountOf = (text: string): Amount => scaledOfText(text) ?? decimalOf(text);

// Keyed by the event's own record, so an entry lives exactly as long as the event someone still holds.
const parsedRecords = new WeakMap<Readonly<Record<string, string>>, ReadonlyMap<string, Dec>>();

/** A record of decimal strings (a BarMarked's marks, values or cash) as a Map of Decimals, parsed once per record. */
export function decimalMap(record: Readonly<Record<string, string>>): ReadonlyMap<string, Dec> {
  const known = parsedRecords.get(record);
  if (known !== undefined) return known;
  const parsed = new Map<string, Dec>();
  for (const key of Object.keys(record)) parsed.set(key, new Dec(record[key] as string));
  parsedRecords.set(record, parsed);
  return parsed;
}
