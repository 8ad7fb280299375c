// Binance spot's public kline streams: closed klines from the combined WebSocket stream, and after every (re)connect
// the closed klines missed since the resume point from the REST endpoint `/api/v3/klines`.
import type { Feed, FeedClock, FeedSink } from './feed.js';
import { parseBinanceKlineMessage, parseBinanceRestKlines, type BinanceInterval, type TimedBar } from './feedMessages.js';
import { ReconnectingSocket, type ReconnectTimings } from './reconnectingSocket.js';

/** Binance's public hosts (overridable, so tests run against local servers). */
export const BINANCE_WS_ENDPOINT = 'wss://stream.binance.com:9443';
export const BINANCE_REST_ENDPOINT = 'https://api.binance.com';

/** Kline intervals Binance offers, in ms (months are not fixed-length and are refused). */
export const BINANCE_INTERVALS: ReadonlyMap<string, number> = new Map([
  ['1s', 1_000],
  ['1m', 60_000],
  ['3m', 180_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['2h', 7_200_000],
  ['4h', 14_400_000],
  ['6h', 21_600_000],
  ['8h', 28_800_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
  ['3d', 259_200_000],
  ['1w', 604_800_000],
]);

/** Klines per REST request (Binance's maximum). */
const REST_PAGE = 1000;

/** How to reach Binance. */
export interface BinanceFeedOptions extends ReconnectTimings {
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly endpoint?: string;
  readonly restEndpoint?: string;
  readonly clock: FeedClock;
}

/** A Binance kline feed. */
export class BinanceFeed implements Feed {
  readonly description: string;
  readonly symbols: readonly string[];
  readonly intervalMs: number;
  private readonly interval: BinanceInterval;
  private socket: ReconnectingSocket | null = null;

  constructor(private readonly options: BinanceFeedOptions) {
    this.symbols = [...options.symbols];
    this.intervalMs = BINANCE_INTERVALS.get(options.interval) ?? 0;
    this.interval = { name: options.interval, ms: this.intervalMs };
    this.description = `binance ${this.symbols.join(',')} ${options.interval}`;
  }

  start(sink: FeedSink): void {
    const streams = this.symbols.map((s) => `${s.toLowerCase()}@kline_${this.options.interval}`).join('/');
    const endpoint = (this.options.endpoint ?? BINANCE_WS_ENDPOINT).replace(/\/+$/, '');
    const socket = new ReconnectingSocket({
      ...this.options,
      url: () => `${endpoint}/stream?streams=${streams}`,
      onOpen: () => this.backfill(sink),
      onMessage: (text) => {
        const parsed = parseBinanceKlineMessage(text, this.interval);
        if (!parsed.ok) {
          sink.invalid(describeMessage(text), parsed.reason);
          return;
        }
        socket.markAlive();
        // Updates of a kline still forming are not bars.
        if (parsed.kline.closed) sink.bars([{ ms: parsed.kline.ms, bar: parsed.kline.bar }], describeMessage(text));
      },
      onNotice: (line) => sink.notice(line),
    });
    this.socket = socket;
    socket.start();
  }

  async stop(): Promise<void> {
    await this.socket?.stop();
  }

  /**
   * Fetches every closed kline after the resume point, symbol by symbol, a page at a time, and delivers them in bar-time
   * order: one symbol's later klines must not pass the watermark over another's earlier ones.
   */
  private async backfill(sink: FeedSink): Promise<void> {
    const after = sink.resumeAfterMs();
    if (after === null) return;
    const rest = (this.options.restEndpoint ?? BINANCE_REST_ENDPOINT).replace(/\/+$/, '');
    const fetched: TimedBar[] = [];
    for (const symbol of this.symbols) {
      let from = after + 1;
      for (;;) {
        const url = `${rest}/api/v3/klines?symbol=${encodeURIComponent(symbol)}&interval=${this.options.interval}&startTime=${from}&limit=${REST_PAGE}`;
        const response = await fetch(url);
        const text = await response.text();
        if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
        const parsed = parseBinanceRestKlines(text, symbol, this.interval, this.options.clock.now());
        if (!parsed.ok) {
          sink.invalid(`REST ${url}`, parsed.reason);
          break;
        }
        for (const part of parsed.refused) sink.invalid(`REST ${url}`, `${part.where}: ${part.reason}`);
        fetched.push(...parsed.bars);
        const last = parsed.bars[parsed.bars.length - 1];
        // A page is full when Binance returned REST_PAGE rows, refused ones included.
        if (parsed.bars.length + parsed.refused.length < REST_PAGE || last === undefined) break;
        from = last.ms + 1;
      }
    }
    fetched.sort((a, b) => a.ms - b.ms || (a.bar.symbol < b.bar.symbol ? -1 : a.bar.symbol > b.bar.symbol ? 1 : 0));
    if (fetched.length > 0) sink.bars(fetched, 'REST backfill');
  }
}

function describeMessage(text: string): string {
  return `message ${text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}…` : JSON.stringify(text)}`;
}
