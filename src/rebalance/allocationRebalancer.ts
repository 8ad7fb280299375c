// When to rebalance: calendar schedule, cooldown in bar time and drift; pure (no clock), with serialisable state.
import { ownValue } from '../records/ownKeys.js';
import { ConfigError, DataError } from '../errors.js';
import type { Weights } from '../allocation/types.js';
import { barTimeMs, periodKey, type RebalanceFrequency } from './calendarPeriod.js';

/** Options of an {@link AllocationRebalancer}. */
export interface RebalancerOptions {
  /** Schedule: the first slice of each new calendar period (UTC) triggers (default 'monthly'). */
  readonly frequency?: RebalanceFrequency;
  /** Minimum bar time between two rebalances, in days of 86,400,000 ms (fractions allowed; default 0). */
  readonly cooldownDays?: number;
  /** Rebalance when any |current − target| exceeds this (strictly); undefined disables drift. */
  readonly driftThreshold?: number;
}

/** The rebalancer's whole state: the bar time of the last rebalance recorded. */
export interface RebalancerState {
  readonly lastRebalanceTime: string | null;
}

/** Which automatic trigger fired (null when none did). */
export type AutomaticTrigger = 'schedule' | 'drift';

/** The answer of {@link AllocationRebalancer.shouldRebalance}. */
export interface RebalanceCheck {
  readonly rebalance: boolean;
  readonly reason: string;
  readonly trigger: AutomaticTrigger | null;
}

const FREQUENCIES: readonly RebalanceFrequency[] = ['daily', 'weekly', 'monthly', 'quarterly', 'never'];
const DAY_MS = 86_400_000;
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/**
 * Decides, slice by slice, whether to rebalance. Checked in this order:
 * 1. cooldown — less than `cooldownDays` of bar time since the last recorded rebalance blocks every automatic
 *    trigger (measured in milliseconds, not floored days);
 * 2. schedule — the slice is in a later calendar period than the last rebalance (UTC day, ISO week, month or
 *    quarter, year included), so it fires on the first slice of each new period, or on the first slice after a
 *    cooldown that covered the period's start, whatever the day of the month; with no rebalance recorded yet the
 *    first slice fires (record the initial allocation with `recordRebalance` to avoid that);
 * 3. drift — any strategy's |current − target| > driftThreshold over the union of ids (a missing id counts as 0),
 *    checked on every slice, including the one right after a scheduled rebalance.
 * The caller records each rebalance it performs (whatever its trigger) with `recordRebalance`.
 */
export class AllocationRebalancer {
  readonly frequency: RebalanceFrequency;
  readonly cooldownDays: number;
  readonly driftThreshold: number | undefined;
  private last: string | null = null;
  private lastMs = Number.NEGATIVE_INFINITY;

  /** @throws ConfigError for an unknown frequency, a negative cooldown or a drift threshold outside (0, 1]. */
  constructor(options: RebalancerOptions = {}) {
    const frequency = options.frequency ?? 'monthly';
    if (!FREQUENCIES.includes(frequency)) {
      throw new ConfigError(`rebalance.frequency must be one of ${FREQUENCIES.join(', ')}, got ${JSON.stringify(frequency)}`, 'rebalance.frequency');
    }
    this.frequency = frequency;
    const cooldown = options.cooldownDays ?? 0;
    if (typeof cooldown !== 'number' || !Number.isFinite(cooldown) || cooldown < 0) {
      throw new ConfigError(`rebalance.cooldownDays must be a number ≥ 0, got ${String(cooldown)}`, 'rebalance.cooldownDays');
    }
    this.cooldownDays = cooldown;
    const drift = options.driftThreshold;
    if (drift !== undefined && (typeof drift !== 'number' || !Number.isFinite(drift) || drift <= 0 || drift > 1)) {
      throw new ConfigError(`rebalance.driftThreshold must be a number in (0, 1], got ${String(drift)}`, 'rebalance.driftThreshold');
    }
    this.driftThreshold = drift;
  }

  /**
   * Rebuilds a rebalancer from its options and a saved state.
   * @throws ConfigError for bad options; DataError for an invalid saved time.
   */
  static restore(options: RebalancerOptions, state: RebalancerState): AllocationRebalancer {
    const r = new AllocationRebalancer(options);
    if (state.lastRebalanceTime !== null) r.recordRebalance(state.lastRebalanceTime);
    return r;
  }

  /** The state to snapshot (JSON-safe). */
  state(): RebalancerState {
    return { lastRebalanceTime: this.last };
  }

  /**
   * Records that a rebalance happened at bar time `time`.
   * @throws DataError when `time` is invalid or earlier than the previous rebalance.
   */
  recordRebalance(time: string): void {
    const ms = barTimeMs(time);
    if (ms < this.lastMs) throw new DataError(`rebalance at ${time} is earlier than the previous rebalance at ${String(this.last)}`);
    this.last = time;
    this.lastMs = ms;
  }

  /**
   * Whether the slice at `time` should rebalance, given current and target weights.
   * @throws DataError when `time` is invalid or earlier than the last recorded rebalance.
   */
  shouldRebalance(time: string, current: Readonly<Weights>, target: Readonly<Weights>): RebalanceCheck {
    const now = barTimeMs(time);
    if (now < this.lastMs) throw new DataError(`bar time ${time} is earlier than the last rebalance at ${String(this.last)}`);
    if (this.last !== null && this.cooldownDays > 0) {
      const elapsed = now - this.lastMs;
      if (elapsed < this.cooldownDays * DAY_MS) {
        return { rebalance: false, trigger: null, reason: `cooldown: ${(elapsed / DAY_MS).toFixed(3)} of ${this.cooldownDays} days since the rebalance at ${this.last}` };
      }
    }
    const key = periodKey(time, this.frequency);
    if (key !== null) {
      if (this.last === null) return { rebalance: true, trigger: 'schedule', reason: `${this.frequency} schedule: no rebalance recorded yet (${key})` };
      const lastKey = periodKey(this.last, this.frequency);
      if (key !== lastKey) {
        return { rebalance: true, trigger: 'schedule', reason: `${this.frequency} schedule: first slice of ${key} (last rebalance in ${String(lastKey)})` };
      }
    }
    if (this.driftThreshold !== undefined) {
      let worst = 0;
      let worstId: string | null = null;
      for (const id of [...new Set([...Object.keys(current), ...Object.keys(target)])].sort()) {
        const d = Math.abs((ownValue(current, id) ?? 0) - (ownValue(target, id) ?? 0));
        if (d > worst) {
          worst = d;
          worstId = id;
        }
      }
      if (worstId !== null && worst > this.driftThreshold) {
        return {
          rebalance: true,
          trigger: 'drift',
          reason: `drift: ${worstId} at ${pct(current[worstId] ?? 0)} vs target ${pct(target[worstId] ?? 0)} (${pct(worst)} > ${pct(this.driftThreshold)})`,
        };
      }
    }
    return { rebalance: false, trigger: null, reason: 'no trigger: same calendar period and no drift above the threshold' };
  }
}
