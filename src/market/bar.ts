// Market data shapes: one bar per symbol, bars grouped into a slice by bar time.
import type { DecString } from '../money/decimal.js';

/** One OHLCV bar; prices and volume are decimal strings exactly as read from the source. */
export interface Bar {
  readonly symbol: string;
  readonly open: DecString;
  readonly high: DecString;
  readonly low: DecString;
  readonly close: DecString;
  readonly volume: DecString;
}

/**
 * Every bar that traded at one bar time. `time` is ISO-8601 UTC with milliseconds
 * (`2020-01-02T00:00:00.000Z`); `bars` is keyed by symbol with keys in ascending order.
 * A symbol absent from a slice is not tradable in it and keeps its last mark.
 */
export interface BarSlice {
  readonly time: string;
  readonly bars: Readonly<Record<string, Bar>>;
}
