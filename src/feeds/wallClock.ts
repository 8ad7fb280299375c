// The one place the program reads the wall clock, sets timers, yields to the event loop and draws jitter: the edge where live feeds run.
// The engine in src/ and actors/ never imports it; its time comes from bars.
import type { FeedClock } from './feed.js';

/** The process's real clock. */
export const wallClock: FeedClock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
  random: () => Math.random(),
};

/**
 * The timer that bounds loading a strategy module (its import and factory). It keeps the process alive while it waits:
 * a module whose top-level await or factory never settles, leaving nothing else pending, is then refused at the timeout
 * with an error naming the strategy and its module, instead of the command ending on an empty event loop unable to say
 * which module it waited for. Loading cancels it as soon as it settles, so it never delays an exit. Returns its cancel.
 */
export function moduleLoadTimer(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

/**
 * How far ahead of this machine's clock a bar time may be. A bar's time is its open (Binance) or its label, so a bar
 * that has happened is never ahead; the tolerance covers a skewed clock here or at the source (NTP keeps both within
 * seconds). Five minutes still refuses what matters: one bar dated years ahead would close every slice at once.
 */
export const FUTURE_BAR_TOLERANCE_MS = 5 * 60_000;

/** The latest bar time a live bar may carry now: the wall clock plus {@link FUTURE_BAR_TOLERANCE_MS}. */
export function latestPlausibleBarMs(): number {
  return Date.now() + FUTURE_BAR_TOLERANCE_MS;
}

/** Resolves on the event loop's next turn, so timers and signal handlers queued meanwhile get to run. */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The clock a backtest's run decides slices in batches by (`Portfolio.open({ batchClock })`): a monotonic `now` and the
 * event loop's next turn. It changes when slices are decided, never what.
 */
export const batchClock = { now: (): number => performance.now(), nextTurn };
