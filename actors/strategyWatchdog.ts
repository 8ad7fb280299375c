// Bounds how long strategy code may run: one watchdog per slice around all of that slice's strategy calls, or one
// around several consecutive slices of a run.
import { StrategyTimeoutError } from '../src/errors.js';
import { BoundedRunner } from '../src/strategy/boundedRun.js';

/**
 * The wall clock a run may decide slices in batches by, handed in from the edge (the engine reads no clock of its own):
 * `now` (ms, monotonic) times a batch against half the strategy timeout; `nextTurn` resolves on the event loop's next
 * turn, marking the slices a source had ready before it. It changes when slices are decided, never what.
 */
export interface BatchClock {
  readonly now: () => number;
  readonly nextTurn: () => Promise<void>;
}

/** The strategy call in progress, for naming it when the watchdog fires. */
interface RunningCall {
  readonly strategyId: string;
  readonly phase: 'init' | 'onBar';
  readonly barTime: string;
}

/**
 * Runs a batch of strategy calls under one execution timeout ({@link BoundedRunner}), which ends an endless loop in
 * onBar too. The batch (not each call) gets the watchdog, because starting one costs about 0.14 ms: per call, that
 * was 34 s over the engine bench's 252,000 strategy calls, per slice 0.3 ms × 2,520 slices.
 */
export class StrategyWatchdog {
  private running: RunningCall | null = null;
  /** The bar of the span's latest batch, while a span runs; null outside one. */
  private spanBarTime: string | null = null;

  private readonly runner: Pick<BoundedRunner, 'run'>;
  private readonly now: (() => number) | undefined;

  /** `now` times a {@link span}; without it a span gives each slice its own watchdog. */
  constructor(
    readonly timeoutMs: number,
    options: { readonly now?: () => number; readonly runner?: Pick<BoundedRunner, 'run'> } = {},
  ) {
    this.runner = options.runner ?? new BoundedRunner();
    this.now = options.now;
  }

  /**
   * Runs `batch` (which announces each strategy call with {@link enter}) and returns what it returns. Inside a
   * {@link span}, the span's watchdog bounds it.
   * @throws StrategyTimeoutError naming the strategy whose call was running when the time ran out.
   */
  run<T>(barTime: string, batch: () => T): T {
    if (this.spanBarTime !== null) {
      this.spanBarTime = barTime;
      try {
        return batch();
      } finally {
        this.running = null;
      }
    }
    this.running = null;
    try {
      const done = this.runner.run(this.timeoutMs, batch);
      if (done.ok) return done.value;
      throw this.timedOut(barTime);
    } finally {
      this.running = null;
    }
  }

  /**
   * Calls `next` (one slice each; false once none is left) under one watchdog for as long as the calls together, and
   * the slowest of them once more, take less than half the limit, then under a fresh one: so each slice starts with at
   * least half of `timeoutMs` left, and half of it more than the slowest slice before it in the span took, and a run of
   * quick slices starts one watchdog thread per span instead of one per slice. The side-by-side workload
   * (2,520 slices of 100 module strategies) starts about 220 instead of 2,520: node:vm's own time in a CPU profile of
   * the CLI run fell from 1.2 s (0.47 ms a slice here) to under 0.5 s.
   * @throws StrategyTimeoutError naming the strategy whose call was running when the time ran out.
   */
  span(next: () => boolean): void {
    const now = this.now;
    if (now === undefined) {
      while (next());
      return;
    }
    const half = this.timeoutMs / 2;
    let more = true;
    while (more) {
      const start = now();
      let sliceStart = start;
      this.spanBarTime = '';
      try {
        const done = this.runner.run(this.timeoutMs, () => {
          // A slice after one that took a quarter of the limit or more gets a fresh watchdog: a slice slower than those
          // before it, still within the limit, is not cut short by what they used.
          let slowest = 0;
          let end: number;
          do {
            sliceStart = now();
            more = next();
            end = now();
            slowest = Math.max(slowest, end - sliceStart);
          } while (more && end - start + slowest < half);
        });
        if (!done.ok) {
          // A slice that started within the first tenth of the span is said to have had the limit: the watchdog's own
          // precision (a thread waking up) is of that order on a loaded machine.
          const late = sliceStart - start;
          const sliceMs = late > this.timeoutMs / 10 ? Math.floor(this.timeoutMs - late) : this.timeoutMs;
          throw this.timedOut(this.spanBarTime === '' ? '(before its first slice)' : this.spanBarTime, sliceMs);
        }
      } finally {
        this.spanBarTime = null;
        this.running = null;
      }
    }
  }

  /**
   * Notes the slice about to be decided: inside a span, a timeout names it even when its time ran out in the engine's
   * own work, outside any strategy call.
   */
  slice(barTime: string): void {
    if (this.spanBarTime !== null) this.spanBarTime = barTime;
  }

  /** Records which strategy call is about to run. */
  enter(strategyId: string, phase: 'init' | 'onBar', barTime: string): void {
    this.running = { strategyId, phase, barTime };
  }

  private timedOut(barTime: string, sliceMs = this.timeoutMs): StrategyTimeoutError {
    const r = this.running ?? { strategyId: '(between strategy calls)', phase: 'onBar' as const, barTime };
    return new StrategyTimeoutError(r.strategyId, r.phase, r.barTime, this.timeoutMs, sliceMs);
  }
}
