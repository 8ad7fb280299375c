// Drawdown periods of a return series on the calendar: the underwater curve, each fall from a peak to its recovery, the longest in days.
import { ConfigError } from '../errors.js';
import { compound, drawdownFrom } from './returnMetrics.js';

const DAY_MS = 86_400_000;

/** One drawdown: from the last peak before it, through its trough, to the first time equity is back at the peak (or not yet). */
export interface DrawdownPeriod {
  /** Time of the peak the fall starts from (the start of the series when the first return falls). */
  readonly start: string;
  readonly trough: string;
  /** First time equity regained the peak; null while still under water. */
  readonly recovery: string | null;
  /** Deepest fall below the peak, a fraction ≤ 0. */
  readonly depth: number;
  /** Calendar days from the peak to the recovery (to the last time when not recovered). */
  readonly days: number;
}

/**
 * Fall of equity below its running peak after each return, a fraction ≤ 0, on a curve starting at 1 before the first
 * return (the convention of {@link maxDrawdown}); NaN returns count as 0, and after a return below −100% it is NaN
 * ({@link compound}).
 */
export function underwater(returns: ArrayLike<number>): Float64Array {
  const out = new Float64Array(returns.length);
  let equity = 1;
  let peak = 1;
  for (let i = 0; i < returns.length; i += 1) {
    const r = returns[i] as number;
    if (!Number.isNaN(r)) equity = compound(equity, r);
    peak = Math.max(peak, equity);
    out[i] = Number.isNaN(equity) ? Number.NaN : drawdownFrom(equity, peak);
  }
  return out;
}

/**
 * Every drawdown period, deepest first (ties: earliest first). `times[i]` is the time of return i; `start` is the time
 * the first return is measured from (the peak of a fall that begins with the first return; default the first time).
 * A period is a run of returns below the running peak; it recovers at the first return back at or above the peak. A
 * return below −100% ends the list: its period reaches it at a depth of −1 (at least the whole peak), never recovers,
 * and lasts to the last time.
 * @throws ConfigError when times and returns differ in length or a time does not parse.
 */
export function drawdownPeriods(returns: ArrayLike<number>, times: readonly string[], start?: string): DrawdownPeriod[] {
  if (returns.length !== times.length) {
    throw new ConfigError(`drawdownPeriods: ${returns.length} returns but ${times.length} times; give one time per return`, 'time');
  }
  const ms = (t: string): number => {
    const v = Date.parse(t);
    if (Number.isNaN(v)) throw new ConfigError(`drawdownPeriods: "${t}" is not an ISO time`, 'time');
    return v;
  };
  const uw = underwater(returns);
  const out: DrawdownPeriod[] = [];
  let peakTime = start ?? (times[0] as string);
  let open: { start: string; trough: string; depth: number } | null = null;
  for (let i = 0; i < uw.length; i += 1) {
    const d = uw[i] as number;
    const t = times[i] as string;
    if (Number.isNaN(d)) {
      // The value went below zero here (a return below −100%): a fall of at least 100% that nothing after recovers, so
      // it lasts to the last return, as any fall not recovered does (a short squeezed in 1998 is still under in 2018).
      if (open === null) open = { start: peakTime, trough: t, depth: -1 };
      else Object.assign(open, { trough: t, depth: -1 });
      out.push({ ...open, recovery: null, days: (ms(times[times.length - 1] as string) - ms(open.start)) / DAY_MS });
      open = null;
      break;
    }
    if (d < 0) {
      if (open === null) open = { start: peakTime, trough: t, depth: d };
      else if (d < open.depth) {
        open.trough = t;
        open.depth = d;
      }
    } else {
      if (open !== null) {
        out.push({ ...open, recovery: t, days: (ms(t) - ms(open.start)) / DAY_MS });
        open = null;
      }
      peakTime = t;
    }
  }
  if (open !== null && times.length > 0) {
    out.push({ ...open, recovery: null, days: (ms(times[times.length - 1] as string) - ms(open.start)) / DAY_MS });
  }
  return out.sort((a, b) => a.depth - b.depth || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Calendar days of the longest drawdown period (recovered or not); 0 when equity never fell, NaN with no return. */
export function longestDrawdownDays(returns: ArrayLike<number>, times: readonly string[], start?: string): number {
  if (returns.length === 0) return Number.NaN;
  return drawdownPeriods(returns, times, start).reduce((m, p) => Math.max(m, p.days), 0);
}
