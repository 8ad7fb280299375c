// What every live feed adapter offers and what it reports to: bars, refused messages, connection notices, its end.
import type { TimedBar } from './feedMessages.js';

/** The wall clock, timers and randomness a feed adapter uses; the engine never sees them (it reads time from bars). */
export interface FeedClock {
  /** Wall time in epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
  /** A number in [0, 1) for backoff jitter. */
  random(): number;
}

/** Where a feed delivers what it receives. */
export interface FeedSink {
  /** Bar time (epoch ms) after which bars are still wanted (the last slice closed), or null before the first. */
  resumeAfterMs(): number | null;
  /** Bars received (`origin` names the message, for reports). */
  bars(bars: readonly TimedBar[], origin: string): void;
  /** A message that is not a valid bar: what it was and what is wrong. */
  invalid(origin: string, reason: string): void;
  /** A change of connection (connected, lost, reconnecting, stale) — a line for stderr. */
  notice(line: string): void;
  /** The feed ended for good (stdin closed): no more bars will come. */
  ended(reason: string): void;
  /** The feed cannot go on (stdin could not be read): no more bars will come, and the session ends as failed by it. */
  failed(reason: string): void;
}

/** A live source of bars. */
export interface Feed {
  /** What the feed is, for messages (`binance BTCUSDT,ETHUSDT 1m`). */
  readonly description: string;
  /** The symbols the feed delivers, when it knows them (Binance); null when the config decides. */
  readonly symbols: readonly string[] | null;
  /** The bar interval, when the feed has one (Binance), so skipped bar times can be told from quiet ones. */
  readonly intervalMs: number | null;
  /** Starts delivering to `sink`. */
  start(sink: FeedSink): void;
  /** Stops: closes connections and cancels timers; nothing is delivered afterwards. */
  stop(): Promise<void>;
}
