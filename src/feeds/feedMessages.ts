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

/** The outcome of parsing one message. */
export type ParsedMessage =
  | { readonly ok: true; readonly bars: readonly TimedBar[] }
  | { readonly ok: false; readonly reason: string };

/** A Binance kline, closed or still forming. */
export interface BinanceKline extends TimedBar {
  readonly closed: boolean;
}

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/**
 * Parses one message of the generic feed: one bar object in the NDJSON bar format (`timestamp`, `symbol`, `open`,
 * `high`, `low`, `close`, `volume`), or a JSON array of them. Numbers sent as strings keep their exact text.
 */
export function parseBarMessage(text: string): ParsedMessage {
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
    for (let i = 0; i < items.length; i += 1) {
      const item: unknown = items[i];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return refuse(`element ${i} is not a bar object`);
      const members = new Map<string, FlatJsonValue>();
      for (const [k, v] of Object.entries(item)) {
        if (typeof v === 'string') members.set(k, { kind: 'string', value: v });
        else if (typeof v === 'number') members.set(k, { kind: 'number', text: String(v) } as FlatJsonValue);
      }
      const one = barFromMembers(members, `element ${i}`);
      if (!one.ok) return one;
      bars.push(...one.bars);
    }
    return { ok: true, bars };
  }
  let members: Map<string, FlatJsonValue>;
  try {
    members = parseFlatJsonObject(trimmed);
  } catch (e) {
    if (e instanceof FlatJsonSyntaxError) return refuse(`not a JSON bar object: ${e.message}`);
    throw e;
  }
  return barFromMembers(members, 'the bar');
}

function barFromMembers(members: Map<string, FlatJsonValue>, where: string): ParsedMessage {
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
    if (v === null) return refuse(`${where}: missing or non-scalar member "${name}"`);
    values.set(name, v);
  }
  const time = parseBarTime(values.get('timestamp') ?? '');
  if (!time.ok) return refuse(`${where}: timestamp: ${time.reason}`);
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
    where,
  );
}

function checked(raw: Parameters<typeof checkedBar>[0], ms: number, where: string): ParsedMessage {
  const at: RecordLocation = { file: 'feed', line: 0, columnOf: (f) => f };
  try {
    return { ok: true, bars: [{ ms, bar: checkedBar(raw, at) }] };
  } catch (e) {
    if (e instanceof DataError) return refuse(`${where}: ${e.message.replace(/^feed, line 0, column /, '')}`);
    throw e;
  }
}

/**
 * Parses one message of Binance's combined kline stream:
 * `{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":…,"s":"BTCUSDT","k":{"t":…,"s":"BTCUSDT","o":"…","c":"…","h":"…","l":"…","v":"…","x":true,…}}}`.
 * A kline's bar time is its open time `k.t`; `k.x` says whether it is closed.
 */
export function parseBinanceKlineMessage(text: string): { ok: true; kline: BinanceKline } | { ok: false; reason: string } {
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
  const fields = ['s', 'o', 'h', 'l', 'c', 'v'] as const;
  const values: string[] = [];
  for (const f of fields) {
    const v = member(k, f);
    if (typeof v !== 'string') return refuse(`k.${f} is not a string`);
    values.push(v);
  }
  const [s, o, h, l, c, v] = values as [string, string, string, string, string, string];
  const parsed = checked({ symbol: s, open: o, high: h, low: l, close: c, volume: v }, t, `kline ${s} ${new Date(t).toISOString()}`);
  if (!parsed.ok) return parsed;
  const bar = parsed.bars[0] as TimedBar;
  return { ok: true, kline: { ...bar, closed } };
}

/**
 * Parses the body of Binance's REST `/api/v3/klines` (an array of `[openTime, open, high, low, close, volume, closeTime, …]`)
 * for `symbol`, keeping only klines closed before `nowMs`.
 */
export function parseBinanceRestKlines(text: string, symbol: string, nowMs: number): ParsedMessage {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (e) {
    return refuse(`not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(rows)) return refuse('not an array of klines');
  const bars: TimedBar[] = [];
  for (let i = 0; i < rows.length; i += 1) {
    const row: unknown = rows[i];
    if (!Array.isArray(row) || row.length < 7) return refuse(`kline ${i} is not an array of at least 7 fields`);
    const [t, o, h, l, c, v, closeTime] = row as unknown[];
    if (typeof t !== 'number' || typeof closeTime !== 'number') return refuse(`kline ${i}: open or close time is not a number`);
    if (![o, h, l, c, v].every((x) => typeof x === 'string')) return refuse(`kline ${i}: prices and volume must be strings`);
    // The last kline of a response may still be forming.
    if (closeTime >= nowMs) continue;
    const parsed = checked({ symbol, open: o as string, high: h as string, low: l as string, close: c as string, volume: v as string }, t, `kline ${i}`);
    if (!parsed.ok) return parsed;
    bars.push(...parsed.bars);
  }
  return { ok: true, bars };
}

function member(value: unknown, name: string | undefined): unknown {
  if (name === undefined) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}
