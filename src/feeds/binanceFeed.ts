// Binance spot's public kline streams: closed klines from the combined WebSocket stream, and after every (re)connect
// the closed klines missed since the resume point from the REST endpoint `/api/v3/klines`, judged closed by Binance's
// clock (`/api/v3/time`), never by this machine's.
import { StratafolioError } from '../errors.js';
import type { Feed, FeedClock, FeedSink } from './feed.js';
import { parseBinanceKlineMessage, parseBinanceRestKlines, type BinanceInterval, type TimedBar } from './feedMessages.js';
import { ReconnectingSocket, RetryLaterError, type ReconnectTimings } from './reconnectingSocket.js';

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

/** The stale timeout when none is given (as the reconnecting socket's): it also bounds each REST request. */
const DEFAULT_STALE_MS = 30_000;

/** Binance's answers that come with a Retry-After: too many requests (429), and the ban that ignoring them brings (418). */
const RATE_LIMITED: ReadonlyMap<number, string> = new Map([
  [429, 'too many requests'],
  [418, 'this address is banned for ignoring 429 answers'],
]);

/** A REST request was answered, but not with 200: `answer` says with what (the status and the start of the body). */
class RestAnswerError extends StratafolioError {
  constructor(
    url: string,
    readonly answer: string,
  ) {
    super(`${url} ${answer}`);
  }
}

/**
 * What a backfill cut short (a 429, a request given up, the connection lost) had fetched: the closed klines after
 * `afterMs`, and where each symbol's next request starts. The next connection's backfill from the same resume point
 * continues from there instead of asking again for pages it had; nothing of it is delivered until a backfill completes.
 */
interface BackfillProgress {
  readonly afterMs: number;
  readonly fetched: TimedBar[];
  readonly nextStartMs: Map<string, number>;
}

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
  private progress: BackfillProgress | null = null;
  /** Whether the last backfill went without Binance's time (said once on stderr, until the time is read again). */
  private withoutServerTime = false;

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
      onOpen: (signal) => this.backfill(sink, signal),
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
    this.progress = null;
  }

  /**
   * Fetches every closed kline after the resume point, symbol by symbol, a page at a time, and delivers them in bar-time
   * order: one symbol's later klines must not pass the watermark over another's earlier ones. Every symbol is fetched up
   * to the same moment, Binance's time when the backfill starts (`/api/v3/time`): a symbol fetched later has more closed
   * klines, and a page read after its last kline's close was still forming when it was served. The stream, open since
   * before that moment, brings the klines that close after it. That moment is Binance's and not this machine's: with
   * this clock ahead, a kline still forming on Binance (listed by REST with its numbers so far) would pass for closed,
   * be traded on, and its final version from the stream be refused as late or conflicting. Without Binance's time, each
   * symbol's newest kline is left to the stream (see {@link parseBinanceRestKlines}). Each request must answer within
   * the stale timeout; nothing is delivered once the connection is lost (`signal`), but what was fetched is kept for
   * the next connection's backfill ({@link BackfillProgress}).
   */
  private async backfill(sink: FeedSink, signal: AbortSignal): Promise<void> {
    const after = sink.resumeAfterMs();
    if (after === null) return;
    const rest = (this.options.restEndpoint ?? BINANCE_REST_ENDPOINT).replace(/\/+$/, '');
    const serverTime = await this.serverTime(rest, signal, sink);
    if (signal.aborted) return;
    const cutoff = serverTime ?? this.options.clock.now();
    const progress = this.progress?.afterMs === after ? this.progress : { afterMs: after, fetched: [], nextStartMs: new Map<string, number>() };
    this.progress = progress;
    for (const symbol of this.symbols) {
      let from = progress.nextStartMs.get(symbol) ?? after + 1;
      while (from < cutoff) {
        const url = `${rest}/api/v3/klines?symbol=${encodeURIComponent(symbol)}&interval=${this.options.interval}&startTime=${from}&endTime=${cutoff - 1}&limit=${REST_PAGE}`;
        const text = await this.get(url, signal);
        if (signal.aborted) return;
        const parsed = parseBinanceRestKlines(text, symbol, this.interval, serverTime);
        if (!parsed.ok) {
          sink.invalid(`REST ${url}`, parsed.reason);
          break;
        }
        for (const part of parsed.refused) sink.invalid(`REST ${url}`, `${part.where}: ${part.reason}`);
        progress.fetched.push(...parsed.bars);
        const last = parsed.bars[parsed.bars.length - 1];
        if (last !== undefined) from = last.ms + 1;
        progress.nextStartMs.set(symbol, from);
        // A page is full when Binance returned REST_PAGE rows, refused and unproven ones included.
        if (parsed.rows < REST_PAGE || last === undefined) break;
      }
    }
    this.progress = null;
    const fetched = progress.fetched;
    fetched.sort((a, b) => a.ms - b.ms || (a.bar.symbol < b.bar.symbol ? -1 : a.bar.symbol > b.bar.symbol ? 1 : 0));
    if (fetched.length > 0) sink.bars(fetched, 'REST backfill');
  }

  /**
   * Binance's time (`GET /api/v3/time`, `{"serverTime": <epoch ms>}`), or null when the server answers without a usable
   * one (an endpoint that does not offer it, an error status, a body that does not say it): the backfill then goes on
   * without it, safely, and stderr says so once. A 429/418 is waited out as for any request, and a request that gets
   * no answer fails the backfill: the klines could not be fetched either.
   * @throws RetryLaterError on 429/418 with a Retry-After; Error naming the URL when it is not answered.
   */
  private async serverTime(rest: string, signal: AbortSignal, sink: FeedSink): Promise<number | null> {
    const url = `${rest}/api/v3/time`;
    let why: string;
    try {
      const text = await this.get(url, signal);
      const ms = serverTimeOf(text);
      if (typeof ms === 'number') {
        this.withoutServerTime = false;
        return ms;
      }
      why = ms.why;
    } catch (e) {
      if (!(e instanceof RestAnswerError)) throw e;
      why = `it ${e.answer}`;
    }
    if (!this.withoutServerTime && !signal.aborted) {
      sink.notice(
        `Binance's time could not be read from ${url} (${why}): the REST backfill judges klines closed without it, taking one only when a later kline ` +
          `follows it, and leaves each symbol's newest to the stream (this machine's clock is not trusted to say a kline has closed)`,
      );
    }
    this.withoutServerTime = true;
    return null;
  }

  /**
   * One REST request, given up after the stale timeout or when the connection is lost.
   * @throws RetryLaterError on 429/418 with a Retry-After; Error naming the URL on any other failure.
   */
  private async get(url: string, connection: AbortSignal): Promise<string> {
    const clock = this.options.clock;
    const limitMs = this.options.staleMs ?? DEFAULT_STALE_MS;
    const request = new AbortController();
    let timedOut = false;
    const cancelTimer = clock.setTimer(limitMs, () => {
      timedOut = true;
      request.abort();
    });
    const abort = (): void => request.abort();
    connection.addEventListener('abort', abort);
    try {
      const response = await fetch(url, { signal: request.signal });
      const text = await response.text();
      if (response.ok) return text;
      const limited = RATE_LIMITED.get(response.status);
      const waitMs = limited === undefined ? null : retryAfterMs(response.headers.get('retry-after'), clock.now());
      const answer = `answered ${response.status}${limited === undefined ? '' : ` (${limited})`}: ${text.slice(0, 200)}`;
      if (waitMs !== null) throw new RetryLaterError(`${url} ${answer}; asking again after its Retry-After: ${Math.ceil(waitMs / 1000)} s`, waitMs);
      throw new RestAnswerError(url, answer);
    } catch (e) {
      if (timedOut) throw new Error(`${url} did not answer within ${limitMs} ms (the stale timeout)`, { cause: e });
      if (e instanceof TypeError && e.cause instanceof Error) throw new Error(`${url}: ${e.cause.message}`, { cause: e });
      throw e;
    } finally {
      cancelTimer();
      connection.removeEventListener('abort', abort);
    }
  }
}

/** The `serverTime` of a `/api/v3/time` answer, or why the answer does not give one. */
function serverTimeOf(text: string): number | { readonly why: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return { why: `its answer is not JSON: ${(e as Error).message}` };
  }
  const ms = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['serverTime'] : undefined;
  if (typeof ms === 'number' && Number.isSafeInteger(ms) && ms > 0) return ms;
  return { why: `its answer ${JSON.stringify(text.slice(0, 100))} has no "serverTime" in epoch milliseconds` };
}

/** Milliseconds a Retry-After header asks for (seconds, or an HTTP date), or null when it says nothing usable. */
function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

function describeMessage(text: string): string {
  return `message ${text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}…` : JSON.stringify(text)}`;
}
