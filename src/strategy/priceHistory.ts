// Rolling per-symbol close history for strategies: a fixed-capacity ring buffer per symbol, memory bounded by capacity × symbols.
import { dictionary } from '../collections/dictionary.js';
import { ConfigError, DataError, InvalidNumberError } from '../errors.js';
import { dec, frozenDec, type Dec, type DecString } from '../money/decimal.js';
import type { BarSlice } from '../market/bar.js';
import type { PriceHistory, Strategy } from './strategy.js';

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A price history as plain JSON-safe data. */
export interface PriceHistoryState {
  readonly capacity: number;
  readonly lastTime: string | null;
  readonly symbols: Record<string, { readonly closes: readonly number[]; readonly lastCloseText: DecString }>;
}

/** Ring buffer of one symbol's closes plus its last close exactly as the source wrote it. */
interface SymbolCloses {
  readonly ring: Float64Array;
  /** Index the next close is written to. */
  next: number;
  count: number;
  lastCloseText: DecString;
  /** Parsed lazily: most bars are never asked for their Decimal close. */
  lastCloseDec: Dec | undefined;
}

/**
 * The engine-side {@link PriceHistory}: `push` costs O(1) per symbol per bar and never allocates
 * after a symbol's first bar, so a run of any length holds at most `capacity` closes per symbol.
 */
export class RollingPriceHistory implements PriceHistory {
  readonly capacity: number;
  private readonly bySymbol = new Map<string, SymbolCloses>();
  private sortedSymbols: readonly string[] = [];
  private lastTime: string | undefined;

  /**
   * Creates an empty history keeping the last `capacity` closes of every symbol.
   * @throws ConfigError when capacity is not a positive safe integer.
   */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new ConfigError(`price history capacity must be a positive integer, got ${String(capacity)}`, 'historyCapacity');
    }
    this.capacity = capacity;
  }

  /**
   * Records the close of every bar in `slice` (symbols absent from the slice keep their history unchanged).
   * @throws DataError when the slice is not later than the previous one or a close is not a finite decimal.
   */
  push(slice: BarSlice): void {
    const closes: Record<string, DecString> = dictionary();
    for (const [symbol, bar] of Object.entries(slice.bars)) closes[symbol] = bar.close;
    this.pushCloses(slice.time, closes);
  }

  /**
   * Records one close per symbol at `time`: how the engine rebuilds history on recovery from the
   * marks of recorded `BarMarked` events, which are exactly the closes of each slice.
   * @throws DataError when `time` is not later than the previous push or a close is not a finite decimal.
   */
  pushCloses(time: string, closes: Readonly<Record<string, DecString>>): void {
    // ISO-8601 UTC times of one fixed format order lexicographically.
    if (this.lastTime !== undefined && time <= this.lastTime) {
      throw new DataError(`price history: bar time ${time} is not later than the previous bar time ${this.lastTime}`);
    }
    const entries = Object.entries(closes);
    // Validate the whole slice first so a bad close leaves the history untouched.
    const values = new Float64Array(entries.length);
    entries.forEach(([symbol, text], i) => {
      const value = Number(text);
      if (typeof text !== 'string' || !DECIMAL_TEXT.test(text.trim()) || !Number.isFinite(value)) {
        throw new DataError(`price history: close of ${symbol} at ${time} is "${String(text)}", not a finite decimal`);
      }
      values[i] = value;
    });
    let added = false;
    entries.forEach(([symbol, text], i) => {
      let series = this.bySymbol.get(symbol);
      if (series === undefined) {
        series = { ring: new Float64Array(this.capacity), next: 0, count: 0, lastCloseText: text, lastCloseDec: undefined };
        this.bySymbol.set(symbol, series);
        added = true;
      }
      series.ring[series.next] = values[i] ?? Number.NaN;
      series.next = (series.next + 1) % this.capacity;
      if (series.count < this.capacity) series.count += 1;
      series.lastCloseText = text;
      series.lastCloseDec = undefined;
    });
    if (added) this.sortedSymbols = Object.freeze([...this.bySymbol.keys()].sort());
    this.lastTime = time;
  }

  /**
   * The last `n` closes of `symbol` (all kept closes when `n` is omitted), oldest first.
   * @throws InvalidNumberError when `n` is not a non-negative integer.
   */
  closes(symbol: string, n: number = this.capacity): readonly number[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new InvalidNumberError(`price history: closes(${symbol}, n) needs a non-negative integer n, got ${String(n)}`);
    }
    const series = this.bySymbol.get(symbol);
    if (series === undefined) return [];
    const take = Math.min(n, series.count);
    const out = new Array<number>(take);
    const start = series.next - take + this.capacity;
    for (let i = 0; i < take; i += 1) out[i] = series.ring[(start + i) % this.capacity] ?? Number.NaN;
    return out;
  }

  /** Latest close of `symbol` parsed from the bar's decimal string, or undefined when it never traded. */
  lastClose(symbol: string): Dec | undefined {
    const series = this.bySymbol.get(symbol);
    if (series === undefined) return undefined;
    // Every strategy of a slice reads this one Decimal: frozen, so none can change the close another one sees.
    series.lastCloseDec ??= frozenDec(dec(series.lastCloseText, `close of ${symbol}`));
    return series.lastCloseDec;
  }

  /** Latest close of `symbol` exactly as the source wrote it, or undefined when it never traded. */
  lastCloseText(symbol: string): DecString | undefined {
    return this.bySymbol.get(symbol)?.lastCloseText;
  }

  /** Symbols seen so far, ascending. */
  symbols(): readonly string[] {
    return this.sortedSymbols;
  }

  /** Bar time of the latest push, or undefined before the first. */
  time(): string | undefined {
    return this.lastTime;
  }

  /** The history as plain data (for recovery snapshots): per symbol its kept closes, oldest first, and its last close text. */
  toState(): PriceHistoryState {
    const symbols: PriceHistoryState['symbols'] = dictionary();
    for (const symbol of this.sortedSymbols) {
      const series = this.bySymbol.get(symbol) as SymbolCloses;
      symbols[symbol] = { closes: [...this.closes(symbol)], lastCloseText: series.lastCloseText };
    }
    return { capacity: this.capacity, lastTime: this.lastTime ?? null, symbols };
  }

  /**
   * Rebuilds a history from {@link toState}'s data; it then behaves exactly like the original.
   * @throws ConfigError when the state is malformed or holds more closes than its capacity.
   */
  static fromState(state: PriceHistoryState): RollingPriceHistory {
    const history = new RollingPriceHistory(state.capacity);
    for (const symbol of Object.keys(state.symbols).sort()) {
      const { closes, lastCloseText } = state.symbols[symbol] as PriceHistoryState['symbols'][string];
      if (closes.length > state.capacity) throw new ConfigError(`price history state: ${symbol} holds ${closes.length} closes, more than capacity ${state.capacity}`);
      const ring = new Float64Array(state.capacity);
      closes.forEach((c, i) => {
        ring[i] = c;
      });
      history.bySymbol.set(symbol, { ring, next: closes.length % state.capacity, count: closes.length, lastCloseText, lastCloseDec: undefined });
    }
    history.sortedSymbols = Object.freeze([...history.bySymbol.keys()].sort());
    history.lastTime = state.lastTime ?? undefined;
    return history;
  }

  /** Close slots allocated in total (capacity × symbols seen): the memory bound, for tests and diagnostics. */
  allocatedSlots(): number {
    return this.bySymbol.size * this.capacity;
  }
}

/** A strategy that declares how many closes per symbol it reads at most (the built-ins do). */
export interface HistoryDemand {
  readonly historyLength: number;
}

/** How many closes per symbol `strategy` says it reads, or undefined when it does not say. */
export function historyLengthOf(strategy: Strategy): number | undefined {
  const declared: unknown = (strategy as Strategy & Partial<HistoryDemand>).historyLength;
  return typeof declared === 'number' && Number.isSafeInteger(declared) && declared > 0 ? declared : undefined;
}

/** The history capacity that serves every strategy: the largest declared `historyLength`, at least `minimum`. */
export function requiredHistoryCapacity(strategies: Iterable<Strategy>, minimum = 1): number {
  let capacity = minimum;
  for (const strategy of strategies) capacity = Math.max(capacity, historyLengthOf(strategy) ?? 0);
  return capacity;
}
