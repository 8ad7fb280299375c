// Parsing of feed messages into bars: the NDJSON bar format (generic WebSocket feed, stdin) and Binance's kline
// messages (combined-stream WebSocket and REST `/api/v3/klines`). Each parse returns bars or the reason it refused.
import { DataError } from '../errors.js';
import type { Bar } from '../market/bar.js';
import { parseBarTime } from '../market/barTime.js';
import { checkedBar, type RecordLocation } from '../market/barValidation.js';
import { FlatJsonSyntaxError, parseFlatJsonObject, type FlatJsonValue } from '../market/flatJson.js';

/** A bar with its bar time in epoch milliseconds. */
export interface TimedBar {
  readonly ms: number;
  readonly bar: Bar;
}

/** A part of a message that was refused (an element of an array, a REST row) while the others were kept. */
export interface RefusedPart {
  /** Which part (`element 3`, `kline 12`). */
  readonly where: string;
  readonly reason: string;
}

/** The outcome of parsing one message: its valid bars and the parts refused, or the reason the whole was refused. */
export type ParsedMessage =
  | { readonly ok: true; readonly bars: readonly TimedBar[]; readonly refused: readonly RefusedPart[] }
  | { readonly ok: false; readonly reason: string };

/** The outcome of checking one bar. */
type CheckedBar = { readonly ok: true; readonly bar: TimedBar } | { readonly ok: false; readonly reason: string };

/** A Binance kline, closed or still forming. */
export interface BinanceKline extends TimedBar {
  readonly closed: boolean;
}

/** The file name given to bar validation, taken off its messages again. */
const FEED_LOCATION = 'feed message';

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/**
 * Parses one message of the generic feed: one bar object in the NDJSON bar format (`timestamp`, `symbol`, `open`,
 * `high`, `low`, `close`, `volume`), a JSON array of them, or several such lines (NDJSON). Numbers sent as strings keep their exact text. A bad
 * element of an array is refused by its index; the others are kept (a server answering `?from=` with a page of bars
 * should not lose the page to one bad bar).
 */
export function parseBarMessage(text: string): ParsedMessage {
  const lines = ndjsonLines(text);
  if (lines !== null) return parseBarLines(lines);
  return parseOneBarMessage(text);
}

/**
 * The lines of a message that holds several NDJSON lines (a server forwarding its NDJSON as it comes batches them), or
 * null for one JSON value. Several lines are NDJSON only when each (blank ones aside) is a whole object or array: a bar
 * written over several lines (pretty-printed) is one value.
 */
function ndjsonLines(text: string): { readonly line: number; readonly text: string }[] | null {
  if (!text.includes('\n')) return null;
  const lines = text
    .split('\n')
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text !== '');
  if (lines.length < 2) return null;
  const whole = (t: string): boolean => (t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'));
  return lines.every((l) => whole(l.text)) ? lines : null;
}

/** Each line parsed as a message of its own; a refused line (or element of one) is named by its line. */
function parseBarLines(lines: readonly { readonly line: number; readonly text: string }[]): ParsedMessage {
  const bars: TimedBar[] = [];
  const refused: RefusedPart[] = [];
  for (const { line, text } of lines) {
    const parsed = parseOneBarMessage(text);
    if (!parsed.ok) {
      refused.push({ where: `line ${line}`, reason: parsed.reason });
      continue;
    }
    bars.push(...parsed.bars);
    for (const part of parsed.refused) refused.push({ where: `line ${line}, ${part.where}`, reason: part.reason });
  }
  return { ok: true, bars, refused };
}

/** One JSON value: a bar object or an array of them. */
function parseOneBarMessage(text: string): ParsedMessage {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (e) {
      return refuse(`not JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(items)) return refuse('not a JSON array of bars');
    const bars: TimedBar[] = [];
    const refused: RefusedPart[] = [];
    for (let i = 0; i < items.length; i += 1) {
      const item: unknown = items[i];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        refused.push({ where: `element ${i}`, reason: 'not a bar object' });
        continue;
      }
      const members = new Map<string, FlatJsonValue>();
      for (const [k, v] of Object.entries(item)) {
        if (typeof v === 'string') members.set(k, { kind: 'string', value: v });
        else if (typeof v === 'number') members.set(k, { kind: 'number', text: String(v) } as FlatJsonValue);
      }
      const one = barFromMembers(members);
      if (one.ok) bars.push(one.bar);
      else refused.push({ where: `element ${i}`, reason: one.reason });
    }
    return { ok: true, bars, refused };
  }
  let members: Map<string, FlatJsonValue>;
  try {
    members = parseFlatJsonObject(trimmed);
  } catch (e) {
    if (e instanceof FlatJsonSyntaxError) return refuse(`not a JSON bar object: ${e.message}`);
    throw e;
  }
  const one = barFromMembers(members);
  return one.ok ? { ok: true, bars: [one.bar], refused: [] } : one;
}

function barFromMembers(members: Map<string, FlatJsonValue>): CheckedBar {
  const field = (name: string): string | null => {
    const v = members.get(name);
    if (v === undefined) return null;
    if (v.kind === 'string') return v.value;
    if (v.kind === 'number') return v.text;
    return null;
  };
  const names = ['timestamp', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;
  const values = new Map<string, string>();
  for (const name of names) {
    const v = field(name);
    if (v === null) return refuse(`missing or non-scalar member "${name}"`);
    values.set(name, v);
  }
  const time = parseBarTime(values.get('timestamp') ?? '');
  if (!time.ok) return refuse(`timestamp: ${time.reason}`);
  return checked(
    {
      symbol: values.get('symbol') ?? '',
      open: values.get('open') ?? '',
      high: values.get('high') ?? '',
      low: values.get('low') ?? '',
      close: values.get('close') ?? '',
      volume: values.get('volume') ?? '',
    },
    time.ms,
  );
}

/** Checks a bar's numbers; the reason names the field once (`open 0 is not a positive price`). */
function checked(raw: Parameters<typeof checkedBar>[0], ms: number): CheckedBar {
  const at: RecordLocation = { file: FEED_LOCATION, columnOf: (f) => f };
  try {
    return { ok: true, bar: { ms, bar: checkedBar(raw, at) } };
  } catch (e) {
    // A feed message has no file or line, and the reason already names the field: the location prefix goes.
    if (e instanceof DataError) return refuse(e.message.replace(/^feed message, column [^:]*: /, ''));
    throw e;
  }
}

/** The kline interval a Binance stream is subscribed to: its name (`1m`) and length. */
export interface BinanceInterval {
  readonly name: string;
  readonly ms: number;
}

const DAY_MS = 86_400_000;
/** Binance's weekly klines open on Monday 00:00 UTC; the first Monday after the epoch (a Thursday) was 1970-01-05. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/**
 * The open times of `interval`'s klines: every `step` ms from `phase`. Intervals up to a day open on multiples of their
 * length since the epoch (UTC), weeks on Mondays; 3-day klines are checked to open at midnight UTC only, as Binance does
 * not document which midnight starts them.
 */
function openTimes(interval: BinanceInterval): { readonly phase: number; readonly step: number } {
  if (interval.name === '1w') return { phase: FIRST_MONDAY_MS, step: interval.ms };
  return { phase: 0, step: Math.min(interval.ms, DAY_MS) };
}

/**
 * Whether `t` can be the open time of a kline of `interval` (see {@link openTimes}). A time between these is no bar of
 * the stream: accepted, it made a slice of its own and gaps for bar times that do not exist.
 */
function onInterval(t: number, interval: BinanceInterval): boolean {
  return klineOpenTimesAround(t, interval) === null;
}

/** The open times of `interval`'s klines just before and after `t`, or null when `t` is one. */
export function klineOpenTimesAround(t: number, interval: BinanceInterval): { readonly before: number; readonly after: number } | null {
  const { phase, step } = openTimes(interval);
  const before = phase + Math.floor((t - phase) / step) * step;
  return before === t ? null : { before, after: before + step };
}

/**
 * Parses one message of Binance's combined kline stream:
 * `{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":…,"s":"BTCUSDT","k":{"t":…,"s":"BTCUSDT","o":"…","c":"…","h":"…","l":"…","v":"…","x":true,…}}}`.
 * A kline's bar time is its open time `k.t`; `k.x` says whether it is closed. A kline of another interval than
 * `interval` (`k.i`), or whose open time is off it, is refused.
 */
export function parseBinanceKlineMessage(text: string, interval: BinanceInterval): { ok: true; kline: BinanceKline } | { ok: false; reason: string } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (e) {
    return refuse(`not JSON: ${(e as Error).message}`);
  }
  const data = member(member(message, 'data'), undefined) ?? message;
  if (member(data, 'e') !== 'kline') return refuse('not a kline event (data.e is not "kline")');
  const k = member(data, 'k');
  if (typeof k !== 'object' || k === null) return refuse('kline event without "k"');
  const t = member(k, 't');
  if (typeof t !== 'number' || !Number.isSafeInteger(t)) return refuse('k.t (open time) is not an integer');
  const closed = member(k, 'x');
  if (typeof closed !== 'boolean') return refuse('k.x (closed) is not a boolean');
  const i = member(k, 'i');
  if (i !== interval.name) return refuse(`k.i (interval) is ${JSON.stringify(i) ?? 'missing'}, not the subscribed ${interval.name}`);
  const fields = ['s', 'o', 'h', 'l', 'c', 'v'] as const;
  const values: string[] = [];
  for (const f of fields) {
    const v = member(k, f);
    if (typeof v !== 'string') return refuse(`k.${f} is not a string`);
    values.push(v);
  }
  const [s, o, h, l, c, v] = values as [string, string, string, string, string, string];
  const where = `kline ${s} ${new Date(t).toISOString()}`;
  if (!onInterval(t, interval)) return refuse(`${where}: open time is not on the ${interval.name} interval`);
  const parsed = checked({ symbol: s, open: o, high: h, low: l, close: c, volume: v }, t);
  if (!parsed.ok) return refuse(`${where}: ${parsed.reason}`);
  return { ok: true, kline: { ...parsed.bar, closed } };
}

/** A page of Binance's REST klines: its closed klines, the rows refused, and how many rows it had in all. */
export type ParsedRestKlines =
  | { readonly ok: true; readonly bars: readonly TimedBar[]; readonly refused: readonly RefusedPart[]; readonly rows: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses the body of Binance's REST `/api/v3/klines` (an array of `[openTime, open, high, low, close, volume, closeTime, …]`)
 * for `symbol`, keeping only the klines proven closed by Binance's own clock: those whose close time is before
 * `serverTimeMs`, Binance's time before the page was served. Without it (null), a kline counts as closed only when a
 * later kline follows it in the page: Binance lists a kline only once it has opened, so a later one proves that the
 * earlier one's close time has passed on Binance's clock. This machine's clock proves nothing: ahead of Binance's, it
 * would take a kline still forming for a final one. A kline whose open time is off `interval` is refused by its index,
 * as on the stream.
 */
export function parseBinanceRestKlines(text: string, symbol: string, interval: BinanceInterval, serverTimeMs: number | null): ParsedRestKlines {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (e) {
    return refuse(`not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(rows)) return refuse('not an array of klines');
  let newestOpenMs = -Infinity;
  for (const row of rows as unknown[]) if (Array.isArray(row) && typeof row[0] === 'number') newestOpenMs = Math.max(newestOpenMs, row[0]);
  const bars: TimedBar[] = [];
  const refused: RefusedPart[] = [];
  for (let i = 0; i < rows.length; i += 1) {
    const row: unknown = rows[i];
    const where = `kline ${i}`;
    if (!Array.isArray(row) || row.length < 7) {
      refused.push({ where, reason: 'not an array of at least 7 fields' });
      continue;
    }
    const [t, o, h, l, c, v, closeTime] = row as unknown[];
    if (typeof t !== 'number' || typeof closeTime !== 'number') {
      refused.push({ where, reason: 'open or close time is not a number' });
      continue;
    }
    if (![o, h, l, c, v].every((x) => typeof x === 'string')) {
      refused.push({ where, reason: 'prices and volume must be strings' });
      continue;
    }
    // The newest kline of an answer may still be forming: Binance lists it with its numbers so far.
    if (serverTimeMs === null ? t >= newestOpenMs : closeTime >= serverTimeMs) continue;
    if (!onInterval(t, interval)) {
      refused.push({ where, reason: `open time ${new Date(t).toISOString()} is not on the ${interval.name} interval` });
      continue;
    }
    const parsed = checked({ symbol, open: o as string, high: h as string, low: l as string, close: c as string, volume: v as string }, t);
    if (parsed.ok) bars.push(parsed.bar);
    else refused.push({ where, reason: parsed.reason });
  }
  return { ok: true, bars, refused, rows: rows.length };
}

function member(value: unknown, name: string | undefined): unknown {
  if (name === undefined) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}
