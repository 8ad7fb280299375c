// Rolling per-strategy statistics over a lookback window, updated in O(1) per slice from the strategy's value after each slice.
import { profitFactorOf, winRateOf } from '../metrics/outcomeRatios.js';
import { ConfigError, DataError, InvalidNumberError } from '../errors.js';
import { drawdownFrom } from '../metrics/returnMetrics.js';

/** Options of a {@link StrategyPerformance}; statistics conventions are fixed here and reported beside the figures. */
export interface PerformanceOptions {
  /** How many most recent returns the window statistics use (default 252). */
  readonly lookback?: number;
  /** Periods per year used to annualise mean, volatility, Sharpe and Sortino (default 252). */
  readonly annualization?: number;
  /** Risk-free rate per period (not annualised; default 0). */
  readonly riskFree?: number;
}

/** A JSON-safe snapshot of the statistics an allocation algorithm may read (non-finite figures become null). */
export type PerformanceSnapshot = Readonly<Record<string, number | null>>;

/** The whole internal state of a {@link StrategyPerformance} as plain data (non-finite numbers as strings), for recovery snapshots. */
export interface PerformanceState {
  readonly strategyId: string;
  readonly options: { readonly lookback: number; readonly annualization: number; readonly riskFree: number };
  readonly values: readonly number[];
  readonly returns: readonly number[];
  readonly pnl: readonly number[];
  readonly times: readonly string[];
  readonly scalars: Readonly<Record<string, number | string | null>>;
}

const SCALARS = ['mean', 'm2', 'downsideSq', 'downsideCount', 'wins', 'losses', 'profit', 'loss', 'sameRun', 'sinceRecompute', 'observations', 'last', 'lastTimeSeen', 'index', 'indexPeak', 'troughDrawdown', 'worstDrawdown'] as const;

const encodeNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const decodeNumber = (x: number | string): number => (typeof x === 'number' ? x : Number(x));

/** Fixed-capacity FIFO of numbers; `push` returns the value it evicted (or undefined while filling). */
class NumberRing {
  private readonly data: Float64Array;
  private start = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity);
  }

  push(x: number): number | undefined {
    if (this.size < this.capacity) {
      this.data[(this.start + this.size) % this.capacity] = x;
      this.size += 1;
      return undefined;
    }
    const evicted = this.data[this.start] as number;
    this.data[this.start] = x;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  at(i: number): number {
    return this.data[(this.start + i) % this.capacity] as number;
  }

  toArray(): Float64Array {
    const out = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.at(i);
    return out;
  }
}

/** Fixed-capacity FIFO of strings (bar times of the window's returns). */
class StringRing {
  private readonly data: string[];
  private start = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.data = new Array<string>(capacity).fill('');
  }

  push(x: string): void {
    if (this.size < this.capacity) {
      this.data[(this.start + this.size) % this.capacity] = x;
      this.size += 1;
      return;
    }
    this.data[this.start] = x;
    this.start = (this.start + 1) % this.capacity;
  }

  toArray(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.data[(this.start + i) % this.capacity] as string);
    return out;
  }
}

/** A bar's transfer-neutral return and its profit or loss in money. */
export interface BarReturn {
  readonly r: number;
  readonly pnl: number;
}

/**
 * The return of one bar net of capital transfers: `r = (V − T_after) / (V_prev + T_before) − 1`, where `T_before` is
 * the capital moved in (+) or out (−) before the bar's execution (the strategy traded with it) and `T_after` what moved
 * after it (it earned nothing in the bar). The P&L is `V − T_after − (V_prev + T_before)`. Null when the base
 * `V_prev + T_before` is not positive: a return on no capital is undefined. The engine's fold and every projection
 * compute a strategy's returns here, so that they agree.
 */
export function transferNeutralReturn(previousValue: number, value: number, transferBefore: number, transferAfter: number): BarReturn | null {
  const base = previousValue + transferBefore;
  if (!(base > 0)) return null;
  const end = value - transferAfter;
  return { r: end / base - 1, pnl: end - base };
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${field} must be a positive integer, got ${String(value)}`, field);
  return value;
}

/**
 * Rolling statistics of one strategy. Conventions: simple returns that exclude capital
 * transfers (`r = (V − T_after) / (V_prev + T_before) − 1`, see {@link transferNeutralReturn}), sample standard deviation (ddof 1),
 * annualisation by √annualization, risk-free rate per period. Window statistics (mean,
 * volatility, Sharpe, Sortino, win rate, profit factor, winning/losing periods) use the
 * last `lookback` returns; drawdown and peak use the whole history. Every update is O(1):
 * Welford add/remove for mean and variance, running sums for the rest, and an exact
 * recomputation of every sum once per `lookback` updates so that rounding drift cannot
 * accumulate. Figures that are undefined are NaN (see each getter).
 */
export class StrategyPerformance {
  readonly lookback: number;
  readonly annualization: number;
  readonly riskFree: number;

  private valueRing: NumberRing;
  private returnRing: NumberRing;
  private pnlRing: NumberRing;
  private timeRing: StringRing;
  private mean = 0;
  private m2 = 0;
  private downsideSq = 0;
  private downsideCount = 0;
  private wins = 0;
  private losses = 0;
  private profit = 0;
  private loss = 0;
  /** How many of the newest returns are bit-identical: when it covers the window, variance is exactly 0 (B7). */
  private sameRun = 0;
  private sinceRecompute = 0;
  private observations = 0;
  private last: number | undefined;
  private lastTimeSeen: string | undefined;
  /** Transfer-neutral wealth index (starts at 1) and its running peak and current-episode trough, for drawdowns. */
  private index = 1;
  private indexPeak = 1;
  private troughDrawdown = 0;
  private worstDrawdown = 0;

  /**
   * Creates an empty performance record for `strategyId`.
   * @throws ConfigError when lookback or annualization is not a positive integer, or riskFree is not finite.
   */
  constructor(readonly strategyId: string, options: PerformanceOptions = {}) {
    this.lookback = positiveInteger(options.lookback ?? 252, 'lookback');
    this.annualization = positiveInteger(options.annualization ?? 252, 'annualization');
    const rf = options.riskFree ?? 0;
    if (!Number.isFinite(rf)) throw new ConfigError(`riskFree must be a finite number per period, got ${String(rf)}`, 'riskFree');
    this.riskFree = rf;
    this.valueRing = new NumberRing(this.lookback);
    this.returnRing = new NumberRing(this.lookback);
    this.pnlRing = new NumberRing(this.lookback);
    this.timeRing = new StringRing(this.lookback);
  }

  /** The record's whole state as plain data; {@link StrategyPerformance.fromState} rebuilds an identical record. */
  toState(): PerformanceState {
    const self = this as unknown as Record<string, unknown>;
    const scalars: Record<string, number | string | null> = {};
    for (const k of SCALARS) {
      const v = self[k];
      scalars[k] = v === undefined ? null : typeof v === 'number' ? encodeNumber(v) : String(v);
    }
    return {
      strategyId: this.strategyId,
      options: { lookback: this.lookback, annualization: this.annualization, riskFree: this.riskFree },
      values: [...this.valueRing.toArray()].map(encodeNumber) as number[],
      returns: [...this.returnRing.toArray()].map(encodeNumber) as number[],
      pnl: [...this.pnlRing.toArray()].map(encodeNumber) as number[],
      times: this.timeRing.toArray(),
      scalars,
    };
  }

  /** Rebuilds a record from {@link StrategyPerformance.toState}'s data. @throws ConfigError for bad options. */
  static fromState(state: PerformanceState): StrategyPerformance {
    const perf = new StrategyPerformance(state.strategyId, state.options);
    for (const v of state.values) perf.valueRing.push(decodeNumber(v));
    for (const v of state.returns) perf.returnRing.push(decodeNumber(v));
    for (const v of state.pnl) perf.pnlRing.push(decodeNumber(v));
    for (const t of state.times) perf.timeRing.push(t);
    const self = perf as unknown as Record<string, unknown>;
    for (const k of SCALARS) {
      const v = state.scalars[k];
      if (v === null || v === undefined) self[k] = undefined;
      else if (k === 'lastTimeSeen') self[k] = String(v);
      else self[k] = decodeNumber(v);
    }
    return perf;
  }

  /**
   * Builds a record from a plain value series (no transfers), one synthetic period per value.
   * @throws InvalidNumberError when a value is not finite; ConfigError for bad options.
   */
  static fromValues(strategyId: string, values: readonly number[], options: PerformanceOptions = {}): StrategyPerformance {
    const perf = new StrategyPerformance(strategyId, options);
    values.forEach((v, i) => perf.update(String(i).padStart(12, '0'), v));
    return perf;
  }

  /**
   * Sets the value the strategy starts from before its first update (e.g. 0 before the transfer that funds it),
   * so that the first update yields a return against it. Without it, the first update only records a value.
   * @throws InvalidNumberError for a non-finite value; DataError after the first update.
   */
  start(initialValue: number): void {
    if (!Number.isFinite(initialValue)) throw new InvalidNumberError(`${this.strategyId}: initial value ${String(initialValue)} is not a finite number`);
    if (this.last !== undefined) throw new DataError(`${this.strategyId}: start() must come before the first update`);
    this.last = initialValue;
  }

  /**
   * Records the strategy's value after the slice at `time`. `transferBefore` is the capital moved in (+) or out (−) since
   * the previous update and before this bar's execution, `transferAfter` what moved after it (see
   * {@link transferNeutralReturn}). The return is skipped (nothing added to the window) when `V_prev + transferBefore ≤ 0`.
   * @throws InvalidNumberError when a value or transfer is not finite; DataError when time does not increase.
   */
  update(time: string, value: number, transferBefore = 0, transferAfter = 0): void {
    if (!Number.isFinite(value)) throw new InvalidNumberError(`${this.strategyId}: value at ${time} is ${String(value)}, not a finite number`);
    for (const transfer of [transferBefore, transferAfter]) {
      if (!Number.isFinite(transfer)) throw new InvalidNumberError(`${this.strategyId}: a transfer at ${time} is ${String(transfer)}, not a finite number`);
    }
    if (this.lastTimeSeen !== undefined && !(time > this.lastTimeSeen)) {
      throw new DataError(`${this.strategyId}: update at ${time} is not after the previous update at ${this.lastTimeSeen}`);
    }
    this.lastTimeSeen = time;
    this.observations += 1;
    const prev = this.last;
    this.last = value;
    this.valueRing.push(value);
    if (prev === undefined) return;
    const bar = transferNeutralReturn(prev, value, transferBefore, transferAfter);
    if (bar !== null) this.addReturn(time, bar.r, bar.pnl);
  }

  /**
   * Empties the statistics window (returns, values, their times and every window tally) and keeps the last value and
   * time: the next update's return is measured from it. Whole-history drawdown figures are kept.
   */
  restartWindow(): void {
    this.valueRing = new NumberRing(this.lookback);
    this.returnRing = new NumberRing(this.lookback);
    this.pnlRing = new NumberRing(this.lookback);
    this.timeRing = new StringRing(this.lookback);
    this.sameRun = 0;
    // Over the empty window the recomputation sets every running sum to zero.
    this.recompute();
  }

  private addReturn(time: string, r: number, pnl: number): void {
    const evicted = this.returnRing.push(r);
    const evictedPnl = this.pnlRing.push(pnl);
    this.timeRing.push(time);
    const prevNewest = this.returnRing.size >= 2 ? this.returnRing.at(this.returnRing.size - 2) : undefined;
    this.sameRun = prevNewest !== undefined && Object.is(prevNewest, r) ? this.sameRun + 1 : 1;

    if (evicted === undefined) {
      const n = this.returnRing.size;
      const delta = r - this.mean;
      this.mean += delta / n;
      this.m2 += delta * (r - this.mean);
    } else {
      // Welford replace: the window size stays n while `evicted` leaves and `r` enters.
      const n = this.returnRing.size;
      const oldMean = this.mean;
      this.mean = oldMean + (r - evicted) / n;
      this.m2 += (r - evicted) * (r - this.mean + evicted - oldMean);
      this.removeTallies(evicted, evictedPnl ?? 0);
    }
    this.addTallies(r, pnl);

    this.index *= 1 + r;
    if (this.index > this.indexPeak) {
      this.indexPeak = this.index;
      this.troughDrawdown = 0;
    }
    const dd = this.currentDrawdown;
    if (dd < this.troughDrawdown) this.troughDrawdown = dd;
    if (dd < this.worstDrawdown) this.worstDrawdown = dd;

    this.sinceRecompute += 1;
    if (this.sinceRecompute >= this.lookback) this.recompute();
  }

  private addTallies(r: number, pnl: number): void {
    const excess = r - this.riskFree;
    if (excess < 0) {
      this.downsideSq += excess * excess;
      this.downsideCount += 1;
    }
    if (r > 0) this.wins += 1;
    else if (r < 0) this.losses += 1;
    if (pnl > 0) this.profit += pnl;
    else if (pnl < 0) this.loss -= pnl;
  }

  private removeTallies(r: number, pnl: number): void {
    const excess = r - this.riskFree;
    if (excess < 0) {
      this.downsideSq -= excess * excess;
      this.downsideCount -= 1;
    }
    if (r > 0) this.wins -= 1;
    else if (r < 0) this.losses -= 1;
    if (pnl > 0) this.profit -= pnl;
    else if (pnl < 0) this.loss += pnl;
  }

  /** Exact two-pass recomputation of every running sum over the window; kills accumulated rounding drift. */
  private recompute(): void {
    this.sinceRecompute = 0;
    const n = this.returnRing.size;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.returnRing.at(i);
    const mean = n > 0 ? sum / n : 0;
    let m2 = 0;
    this.downsideSq = 0;
    this.downsideCount = 0;
    this.wins = 0;
    this.losses = 0;
    this.profit = 0;
    this.loss = 0;
    for (let i = 0; i < n; i++) {
      const r = this.returnRing.at(i);
      m2 += (r - mean) * (r - mean);
      this.addTallies(r, this.pnlRing.at(i));
    }
    this.mean = mean;
    this.m2 = m2;
  }

  /** Strategy id this record belongs to. */
  get id(): string {
    return this.strategyId;
  }

  /** Number of returns in the window (at most `lookback`). */
  get count(): number {
    return this.returnRing.size;
  }

  /** Number of updates ever recorded (values, not returns). */
  get updates(): number {
    return this.observations;
  }

  /** The last `lookback` values, oldest first (a copy). */
  get values(): Float64Array {
    return this.valueRing.toArray();
  }

  /** The window's returns, oldest first (a copy). */
  get returns(): Float64Array {
    return this.returnRing.toArray();
  }

  /** Bar times of the window's returns, oldest first (a copy); used to align strategies by time. */
  get returnTimes(): string[] {
    return this.timeRing.toArray();
  }

  /** Latest recorded value, or NaN before the first update. */
  get lastValue(): number {
    return this.last ?? Number.NaN;
  }

  /** Per-period mean of the window's returns; NaN with no returns. */
  get periodMean(): number {
    return this.count === 0 ? Number.NaN : this.mean;
  }

  /** Per-period sample variance (ddof 1); NaN with fewer than two returns; exactly 0 when every return in the window is identical. */
  get periodVariance(): number {
    const n = this.count;
    if (n < 2) return Number.NaN;
    if (this.sameRun >= n) return 0;
    return Math.max(this.m2, 0) / (n - 1);
  }

  /** Annualised mean return (`mean × annualization`); NaN with no returns. */
  get meanReturn(): number {
    return this.periodMean * this.annualization;
  }

  /** Annualised sample volatility (`std × √annualization`); NaN with fewer than two returns; exactly 0 for constant returns. */
  get volatility(): number {
    return Math.sqrt(this.periodVariance) * Math.sqrt(this.annualization);
  }

  /** Annualised Sharpe `(mean − rf) / std × √annualization`; NaN with fewer than two returns or zero volatility (undefined, not huge). */
  get sharpe(): number {
    const v = this.periodVariance;
    if (!(v > 0)) return Number.NaN;
    return ((this.mean - this.riskFree) / Math.sqrt(v)) * Math.sqrt(this.annualization);
  }

  /**
   * Annualised Sortino `(mean − rf) / dd × √annualization`, where the downside deviation
   * dd = √(Σ min(r − rf, 0)² / n) over the window (the Sortino–Price target semi-deviation, divisor n);
   * NaN with fewer than two returns or no return below rf.
   */
  get sortino(): number {
    const n = this.count;
    if (n < 2 || this.downsideCount === 0) return Number.NaN;
    const dd = Math.sqrt(Math.max(this.downsideSq, 0) / n);
    if (!(dd > 0)) return Number.NaN;
    return ((this.mean - this.riskFree) / dd) * Math.sqrt(this.annualization);
  }

  /** Current drawdown from the running peak of the transfer-neutral wealth index, as a fraction ≤ 0 (0 at a peak). */
  get currentDrawdown(): number {
    return drawdownFrom(this.index, this.indexPeak);
  }

  /** Worst drawdown over the whole history, as a fraction ≤ 0. */
  get maxDrawdown(): number {
    return this.worstDrawdown;
  }

  /** Deepest point of the current drawdown episode (≤ 0; 0 at a peak); it resets when a new peak is made. */
  get episodeTrough(): number {
    return this.troughDrawdown;
  }

  /** Peak value in today's capital terms (`lastValue / (1 + currentDrawdown)`), so transfers neither create nor hide a drawdown. */
  get peak(): number {
    const dd = this.currentDrawdown;
    return dd <= -1 ? Number.NaN : this.lastValue / (1 + dd);
  }

  /** Returns above zero in the window. */
  get winningPeriods(): number {
    return this.wins;
  }

  /** Returns below zero in the window. */
  get losingPeriods(): number {
    return this.losses;
  }

  /** `winningPeriods / (winningPeriods + losingPeriods)` over the window; NaN when every return is zero or there is none. */
  get winRate(): number {
    return winRateOf(this.wins, this.losses);
  }

  /**
   * Gross profit ÷ gross loss of the window's per-period P&L in money (`V − T_after − (V_prev + T_before)`), not of returns;
   * Infinity with profit and no loss, NaN with neither.
   */
  get profitFactor(): number {
    return profitFactorOf(this.profit, this.loss);
  }

  /** The statistics as JSON-safe numbers (NaN and ±Infinity become null), for RebalanceDecided inputs. */
  snapshot(): PerformanceSnapshot {
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return {
      value: finite(this.lastValue),
      count: this.count,
      meanReturn: finite(this.meanReturn),
      volatility: finite(this.volatility),
      sharpe: finite(this.sharpe),
      sortino: finite(this.sortino),
      currentDrawdown: this.currentDrawdown,
      maxDrawdown: this.maxDrawdown,
      winRate: finite(this.winRate),
      profitFactor: finite(this.profitFactor),
    };
  }
}
