// Field-level checks shared by the file sources: decimal text, positive prices, non-negative volume, OHLC consistency.
import { DataError, quoteStart } from '../errors.js';
import { Dec } from '../money/decimal.js';
import type { Bar } from './bar.js';

/** The five numeric fields of a bar. */
export type BarNumberField = 'open' | 'high' | 'low' | 'close' | 'volume';

/** A bar's fields as text, before validation. */
export interface RawBar {
  readonly symbol: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
}

/** Where a record came from, and how its fields are named there (a CSV header name or an NDJSON key). */
export interface RecordLocation {
  readonly file: string;
  /** Absent for input that has no lines (a slice given through the API). */
  readonly line?: number;
  readonly columnOf: (field: BarNumberField | 'symbol') => string;
}

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A checked decimal text and its nearest double, used for fast ordering. */
interface NumberText {
  readonly text: string;
  readonly approx: number;
}

/**
 * Validates a bar's text fields and returns the bar with each number kept exactly as written (trimmed).
 * @throws DataError naming file, line and column for a malformed number, a non-positive price, a negative volume,
 * high below low, or open/close outside [low, high].
 */
export function checkedBar(raw: RawBar, at: RecordLocation): Bar {
  const symbol = raw.symbol.trim();
  if (symbol === '') throw fieldError('symbol is empty', at, 'symbol');
  const problem = symbolProblem(symbol);
  if (problem !== null) throw fieldError(problem, at, 'symbol');
  const open = positivePrice(raw.open, 'open', at);
  const high = positivePrice(raw.high, 'high', at);
  const low = positivePrice(raw.low, 'low', at);
  const close = positivePrice(raw.close, 'close', at);
  const volume = numberText(raw.volume, 'volume', at);
  if (sign(volume) < 0) throw fieldError(`volume ${volume.text} is negative`, at, 'volume');
  if (compare(high, low) < 0) throw fieldError(`high ${high.text} is below low ${low.text}`, at, 'high');
  for (const [field, v] of [['open', open], ['close', close]] as const) {
    if (compare(v, low) < 0 || compare(v, high) > 0) {
      throw fieldError(`${field} ${v.text} is outside [low ${low.text}, high ${high.text}]`, at, field);
    }
  }
  return { symbol, open: open.text, high: high.text, low: low.text, close: close.text, volume: volume.text };
}

// C0 and C1 controls and DEL: never part of a ticker; a line break in one is a CSV quote closed in the wrong place.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `symbol` (trimmed, not empty) cannot be a symbol — it holds a control character —, or null when it can. */
export function symbolProblem(symbol: string): string | null {
  const found = CONTROL_CHARACTER.exec(symbol);
  if (found === null) return null;
  const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `symbol ${quoteStart(symbol)} holds a control character (U+${code})`;
}

/**
 * Validates one price (for sources that carry only a close) and returns it trimmed.
 * @throws DataError naming file, line and column when the text is not a decimal or not positive.
 */
export function checkedPrice(text: string, file: string, line: number, column: string): string {
  const at: RecordLocation = { file, line, columnOf: () => column };
  return positivePrice(text, 'close', at).text;
}

function positivePrice(text: string, field: BarNumberField, at: RecordLocation): NumberText {
  const n = numberText(text, field, at);
  if (sign(n) <= 0) throw fieldError(`${field} ${n.text} is not a positive price`, at, field);
  return n;
}

/** Significant digits an amount carries (`Dec`'s precision): a longer number could not be held or multiplied exactly. */
const MAX_SIGNIFICANT_DIGITS = 34;

function numberText(raw: string, field: BarNumberField, at: RecordLocation): NumberText {
  const text = raw.trim();
  if (!DECIMAL_TEXT.test(text)) {
    throw fieldError(text === '' ? `${field} is empty` : `${field} ${quoteStart(text)} is not a decimal number${notDecimalHint(text)}`, at, field);
  }
  const approx = Number(text);
  const shown = text.length <= 60 ? text : quoteStart(text);
  // The engine keeps closes as doubles for the strategies' history and amounts as 34-digit decimals: a number either
  // cannot hold would pass here and stop the run part-way, after slices were written.
  if (!Number.isFinite(approx)) throw fieldError(`${field} ${shown} is too large to compute with`, at, field);
  if (approx === 0 && !new Dec(text).isZero()) throw fieldError(`${field} ${shown} is too small to compute with (it is 0 as a double)`, at, field);
  const digits = significantDigits(text);
  if (digits > MAX_SIGNIFICANT_DIGITS) {
    throw fieldError(`${field} ${shown} has ${digits} significant digits; amounts carry at most ${MAX_SIGNIFICANT_DIGITS}`, at, field);
  }
  return { text, approx };
}

// Exports write numbers for people (1,234,500 or $185.64) and days without a price as a word: the hint says how to write it.
const THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/;
const CURRENCY = /^[+-]?[$€£¥]\s*([\d.,]+)$/;
const NO_VALUE = new Set(['null', 'nan', 'n/a', 'na', '#n/a', 'none', '-', '.']);

function notDecimalHint(text: string): string {
  const amount = CURRENCY.exec(text)?.[1];
  if (amount !== undefined) return `: write it without the currency sign (${amount.replace(/,/g, '')})`;
  if (THOUSANDS.test(text)) return `: write it without thousands separators (${text.replace(/,/g, '')})`;
  if (NO_VALUE.has(text.toLowerCase())) return ': a missing price is an empty cell in a wide file; in a long file or NDJSON, leave the row out';
  return '';
}

// Only a mantissa longer than the limit needs counting: leading zeros and trailing zeros do not count.
function significantDigits(text: string): number {
  const e = text.search(/[eE]/);
  const mantissa = (e < 0 ? text : text.slice(0, e)).replace(/^[+-]/, '').replace('.', '');
  if (mantissa.length <= MAX_SIGNIFICANT_DIGITS) return mantissa.length;
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

// Rounding to double is monotonic, so unequal doubles order their decimals; only ties (and 0/±Infinity
// from under/overflow) need the exact Decimal comparison.
function compare(a: NumberText, b: NumberText): number {
  if (a.approx < b.approx) return -1;
  if (a.approx > b.approx) return 1;
  return new Dec(a.text).cmp(new Dec(b.text));
}

function sign(a: NumberText): number {
  if (a.approx > 0) return 1;
  if (a.approx < 0) return -1;
  return new Dec(a.text).cmp(0);
}

function fieldError(message: string, at: RecordLocation, field: BarNumberField | 'symbol'): DataError {
  return new DataError(message, { file: at.file, line: at.line, column: at.columnOf(field) });
}
