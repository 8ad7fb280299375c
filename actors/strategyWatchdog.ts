// Bounds how long strategy code may run: one watchdog per slice around all of that slice's strategy calls.
import { Script, createContext } from 'node:vm';
import { StrategyTimeoutError } from '../src/errors.js';

/** The strategy call in progress, for naming it when the watchdog fires. */
interface RunningCall {
  readonly strategyId: string;
  readonly phase: 'init' | 'onBar';
  readonly barTime: string;
}

const TIMEOUT_CODE = 'ERR_SCRIPT_EXECUTION_TIMEOUT';

/**
 * Runs a batch of strategy calls under node:vm's execution timeout, which terminates synchronous JavaScript even in
 * functions defined outside the context (an endless loop in onBar included). One precompiled script and one context
 * serve every slice; the batch (not each call) gets the watchdog, because starting one costs about 0.14 ms: per call,
 * that was 34 s over the engine bench's 252,000 strategy calls, per slice 0.3 ms × 2,520 slices.
 */
export class StrategyWatchdog {
  private readonly box: { batch: (() => unknown) | null; result: unknown } = { batch: null, result: undefined };
  private readonly context = createContext(this.box);
  private readonly script = new Script('result = batch()');
  private running: RunningCall | null = null;

  constructor(readonly timeoutMs: number) {}

  /**
   * Runs `batch` (which announces each strategy call with {@link enter}) and returns what it returns.
   * @throws StrategyTimeoutError naming the strategy whose call was running when the time ran out.
   */
  run<T>(barTime: string, batch: () => T): T {
    this.box.batch = batch;
    this.running = null;
    try {
      this.script.runInContext(this.context, { timeout: this.timeoutMs });
      return this.box.result as T;
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === TIMEOUT_CODE) {
        const r = this.running ?? { strategyId: '(between strategy calls)', phase: 'onBar' as const, barTime };
        throw new StrategyTimeoutError(r.strategyId, r.phase, r.barTime, this.timeoutMs);
      }
      throw e;
    } finally {
      this.box.batch = null;
      this.box.result = undefined;
      this.running = null;
    }
  }

  /** Records which strategy call is about to run. */
  enter(strategyId: string, phase: 'init' | 'onBar', barTime: string): void {
    this.running = { strategyId, phase, barTime };
  }
}
