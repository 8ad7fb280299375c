// Slices the engine can trust: bars checked by the file sources' rules, and the slice and its bars frozen, so that
// neither the caller nor strategy code (onBar gets the slice) can change what the engine marks and fills at.
import { DataError, quoteStart } from '../errors.js';
import type { Bar, BarSlice } from './bar.js';
import { checkedBar, type BarNumberField, type RawBar } from './barValidation.js';

// Slices built by frozenSlice: their bars were checked when they were read or generated. Checking them again would
// cost 0.6–1.1 µs a bar (checkedBar), 12–22 µs per slice of the engine bench's 20 symbols, for nothing.
const frozenSlices = new WeakSet<BarSlice>();

/** A frozen slice of already checked bars, keyed by symbol in the order given. */
export function frozenSlice(time: string, bars: Iterable<Bar>): BarSlice {
  const record = Object.fromEntries([...bars].map((b) => [b.symbol, Object.freeze(b)])) as Record<string, Bar>;
  const slice: BarSlice = Object.freeze({ time, bars: Object.freeze(record) });
  frozenSlices.add(slice);
  return slice;
}

const CANONICAL_BAR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FIELDS: readonly BarNumberField[] = ['open', 'high', 'low', 'close', 'volume'];

/**
 * The slice as the engine may use it: itself when {@link frozenSlice} made it, otherwise a frozen copy whose bars pass
 * the file sources' checks (decimal text or safe integers, positive prices, volume not negative, open and close within
 * [low, high]; a bar's `symbol`, when given, is its key; at least one bar).
 * @throws DataError naming the slice time, the symbol and the field.
 */
export function checkedSlice(slice: unknown): BarSlice {
  if (frozenSlices.has(slice as BarSlice)) return slice as BarSlice;
  if (slice === null || typeof slice !== 'object') throw new DataError(`a slice must be an object { time, bars }, got ${slice === null ? 'null' : typeof slice}`);
  const { time, bars } = slice as { time?: unknown; bars?: unknown };
  if (typeof time !== 'string' || !CANONICAL_BAR_TIME.test(time)) {
    throw new DataError(`slice time ${JSON.stringify(time) ?? String(time)} is not an ISO-8601 UTC bar time like 2020-01-02T00:00:00.000Z`);
  }
  if (bars === null || typeof bars !== 'object' || Array.isArray(bars)) throw new DataError(`slice at ${time}: bars must be an object mapping symbol to bar`);
  // No source makes a slice of no bars; one would still count as a bar of every strategy's returns and of the year.
  if (Object.keys(bars).length === 0) {
    throw new DataError(`slice at ${time} has no bars: a slice holds the bar of at least one symbol (leave out a time at which nothing traded)`);
  }
  const checked: Bar[] = [];
  for (const symbol of Object.keys(bars)) {
    const bar = (bars as Record<string, unknown>)[symbol];
    const where = `slice at ${time}, bar ${quoteStart(symbol)}`;
    if (bar === null || typeof bar !== 'object' || Array.isArray(bar)) {
      throw new DataError(`${where}: a bar must be an object { open, high, low, close, volume }, got ${bar === null ? 'null' : Array.isArray(bar) ? 'an array' : typeof bar}`);
    }
    const given = bar as Record<string, unknown>;
    if (given['symbol'] !== undefined && given['symbol'] !== symbol) throw new DataError(`${where}: its symbol is ${quoteStart(String(given['symbol']))}`);
    const raw: Record<string, string> = { symbol };
    for (const field of FIELDS) raw[field] = fieldText(given[field], field, where);
    const valid = checkedBar(raw as unknown as RawBar, { file: where, columnOf: (field) => field });
    // The file rules trim a symbol: a key with spaces around it would be renamed, or merged with the key without them.
    if (valid.symbol !== symbol) throw new DataError(`${where}: a symbol must not have spaces around it`);
    checked.push(valid);
  }
  return frozenSlice(time, checked);
}

/** A bar field as decimal text: a string, or a safe integer (a fraction must come as text, as everywhere else). */
function fieldText(value: unknown, field: BarNumberField, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value === undefined) throw new DataError(`${where}: ${field} is missing`);
  throw new DataError(`${where}: ${field} must be a decimal string, got ${typeof value === 'number' ? `the binary float ${String(value)}` : typeof value}`);
}
