// Where a file source read each slice, so that a check made after reading (a resumed run comparing the file with its
// log) can still name the file, line and column, as every other bar file error does.
import type { BarSlice } from './bar.js';

/** The rows a slice was read from. */
export interface SliceOrigin {
  readonly file: string;
  /** Line of the slice's first row. */
  readonly line: number;
  /** Name of the column (or member) holding the bar time. */
  readonly timeColumn: string;
  /** Name of the close column; null when each symbol is its own column (a wide file). */
  readonly closeColumn: string | null;
  /** Line of each symbol's row; null when the whole slice is the one row on `line`. */
  readonly lines: ReadonlyMap<string, number> | null;
}

/** Line and column of one bar (its close) or of the slice's time. */
export interface OriginLocation {
  readonly file: string;
  readonly line: number;
  readonly column: string;
}

// Weak: a slice's origin lives exactly as long as the slice, so a long file costs no memory for it.
const origins = new WeakMap<BarSlice, SliceOrigin>();

/** Records where `slice` was read and returns it. */
export function withOrigin(slice: BarSlice, origin: SliceOrigin): BarSlice {
  origins.set(slice, origin);
  return slice;
}

/** Where a file source read `slice`'s bar time, or undefined for a slice that did not come from a file. */
export function sliceTimeLocation(slice: BarSlice): OriginLocation | undefined {
  const o = origins.get(slice);
  return o === undefined ? undefined : { file: o.file, line: o.line, column: o.timeColumn };
}

/** Where a file source read `symbol`'s close in `slice`; the slice's time when the symbol has no bar in it (or the slice no origin: undefined). */
export function barLocation(slice: BarSlice, symbol: string): OriginLocation | undefined {
  const o = origins.get(slice);
  if (o === undefined) return undefined;
  const line = o.lines === null ? (Object.hasOwn(slice.bars, symbol) ? o.line : undefined) : o.lines.get(symbol);
  if (line === undefined) return { file: o.file, line: o.line, column: o.timeColumn };
  return { file: o.file, line, column: o.closeColumn ?? symbol };
}
