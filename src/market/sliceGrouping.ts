// Groups consecutive bars of one bar time into a BarSlice, enforcing strictly increasing times and one bar per (time, symbol).
import { DataError } from '../errors.js';
import type { Bar, BarSlice } from './bar.js';
import { formatBarTime } from './barTime.js';
import { frozenSlice } from './checkedSlice.js';
import { withOrigin } from './sliceOrigin.js';

/** Builds a frozen slice from checked bars, keys in ascending code-unit order of the symbol. */
export function sliceOf(ms: number, bars: Iterable<Bar>): BarSlice {
  return frozenSlice(formatBarTime(ms), [...bars].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)));
}

/** Streaming grouper: feed rows in file order, receive each slice as soon as the next bar time starts. */
export class SliceGrouper {
  private ms: number | undefined;
  private line = 0;
  private readonly bars = new Map<string, Bar>();
  private lines = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly timeColumn: string,
    private readonly closeColumn: string,
  ) {}

  /**
   * Moves to the bar time `ms` read on `line`; returns the finished slice when `ms` starts a new bar time.
   * @throws DataError when `ms` is earlier than the current bar time (which also catches a time repeated after others).
   */
  at(ms: number, line: number): BarSlice | undefined {
    if (this.ms === ms) return undefined;
    if (this.ms !== undefined && ms < this.ms) {
      throw new DataError(
        `timestamp ${formatBarTime(ms)} is not after ${formatBarTime(this.ms)} (line ${this.line}); bar times must strictly increase and the rows of one time must be consecutive: sort the rows by timestamp`,
        { file: this.file, line, column: this.timeColumn },
      );
    }
    const done = this.take();
    this.ms = ms;
    this.line = line;
    return done;
  }

  /**
   * Adds a bar to the current bar time.
   * @throws DataError when the symbol already has a bar at this time.
   */
  add(bar: Bar, line: number, symbolColumn: string): void {
    if (this.bars.has(bar.symbol)) {
      throw new DataError(`duplicate bar for ${bar.symbol} at ${formatBarTime(this.ms ?? 0)}`, {
        file: this.file,
        line,
        column: symbolColumn,
      });
    }
    this.bars.set(bar.symbol, bar);
    this.lines.set(bar.symbol, line);
  }

  /** The last slice, once the input has ended (undefined when it held no bars). */
  finish(): BarSlice | undefined {
    return this.take();
  }

  private take(): BarSlice | undefined {
    if (this.ms === undefined || this.bars.size === 0) return undefined;
    const slice = sliceOf(this.ms, this.bars.values());
    this.bars.clear();
    const lines = this.lines;
    this.lines = new Map();
    return withOrigin(slice, { file: this.file, line: this.line, timeColumn: this.timeColumn, closeColumn: this.closeColumn, lines });
  }
}
