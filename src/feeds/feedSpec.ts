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
