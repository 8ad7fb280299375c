// The `--feed` argument: `binance:SYM,SYM@interval`, a `ws://`/`wss://` URL of NDJSON bars, or `-` for stdin.
import { ConfigError } from '../errors.js';
import { BINANCE_INTERVALS } from './binanceFeed.js';

/** A parsed `--feed`. */
export type FeedSpec =
  | { readonly kind: 'binance'; readonly symbols: readonly string[]; readonly interval: string }
  | { readonly kind: 'websocket'; readonly url: string }
  | { readonly kind: 'stdin' };

const SYMBOL = /^[A-Z0-9]{2,30}$/;

/**
 * Parses a feed spec.
 * @throws ConfigError naming what is wrong in `--feed`.
 */
export function parseFeedSpec(spec: string): FeedSpec {
  if (spec === '-') return { kind: 'stdin' };
  if (spec.startsWith('ws://') || spec.startsWith('wss://')) {
    try {
      return { kind: 'websocket', url: new URL(spec).toString() };
    } catch {
      throw new ConfigError(`--feed ${JSON.stringify(spec)} is not a valid WebSocket URL`, 'feed');
    }
  }
  if (spec.startsWith('binance:')) {
    const body = spec.slice('binance:'.length);
    const at = body.lastIndexOf('@');
    if (at < 0) throw new ConfigError(`--feed ${JSON.stringify(spec)}: expected binance:SYMBOL[,SYMBOL…]@interval (e.g. binance:BTCUSDT,ETHUSDT@1m)`, 'feed');
    const interval = body.slice(at + 1);
    if (!BINANCE_INTERVALS.has(interval)) {
      throw new ConfigError(`--feed ${JSON.stringify(spec)}: interval "${interval}" is not one of ${[...BINANCE_INTERVALS.keys()].join(', ')}`, 'feed');
    }
    const symbols = body.slice(0, at).split(',').map((s) => s.trim().toUpperCase());
    for (const s of symbols) {
      if (!SYMBOL.test(s)) throw new ConfigError(`--feed ${JSON.stringify(spec)}: "${s}" is not a Binance symbol (letters and digits, e.g. BTCUSDT)`, 'feed');
    }
    if (new Set(symbols).size !== symbols.length) throw new ConfigError(`--feed ${JSON.stringify(spec)} names a symbol twice`, 'feed');
    return { kind: 'binance', symbols, interval };
  }
  throw new ConfigError(`--feed ${JSON.stringify(spec)} is not a feed: use binance:SYMBOL,…@interval, a ws:// or wss:// URL, or - for stdin`, 'feed');
}

const ENDPOINT_KINDS = {
  '--endpoint': { protocols: ['ws:', 'wss:'], what: 'a WebSocket URL: give ws://host:port or wss://host:port' },
  '--rest-endpoint': { protocols: ['http:', 'https:'], what: 'an HTTP URL: give http://host:port or https://host:port' },
} as const;

/**
 * Checks `--endpoint` (a WebSocket URL) or `--rest-endpoint` (an HTTP URL) of a Binance feed; undefined when not given.
 * Checked at start: a URL the feed cannot use would otherwise fail only when it connects, after the store was opened.
 * @throws ConfigError naming the flag and the value.
 */
export function parseEndpointFlag(value: string | undefined, flag: keyof typeof ENDPOINT_KINDS): string | undefined {
  if (value === undefined) return undefined;
  const kind = ENDPOINT_KINDS[flag];
  let protocol: string | null = null;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = null;
  }
  if (protocol === null || !(kind.protocols as readonly string[]).includes(protocol)) {
    throw new ConfigError(`${flag} ${JSON.stringify(value)} is not ${kind.what}`, flag.slice(2));
  }
  return value;
}
