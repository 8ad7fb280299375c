// Decimal amounts of an event (a fill's, a mark's records), parsed once per event for every projection of a runner pass that folds it.
import { Dec } from '../src/money/decimal.js';
import type { EventData } from '../events/catalogue.js';

/** Quantity, price and commission of a fill as Decimals. */
export interface FillAmounts {
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
}

// Decimals are immutable, so handing the same parsed values to each projection keeps every evolve pure.
let last: { readonly data: EventData<'FillRecorded'>; readonly amounts: FillAmounts } | null = null;

/** The fill's amounts, parsed from their decimal strings (the previous fill's parse is reused when it is the same event data). */
export function fillAmounts(data: EventData<'FillRecorded'>): FillAmounts {
  if (last !== null && last.data === data) return last.amounts;
  const amounts = { quantity: new Dec(data.quantity), price: new Dec(data.price), commission: new Dec(data.commission) };
  last = { data, amounts };
  return amounts;
}

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
