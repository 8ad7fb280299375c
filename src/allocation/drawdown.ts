// DrawdownBasedAllocation: less capital to strategies in drawdown, a bonus while recovering, nothing beyond a threshold.
import { setOwn } from '../records/ownKeys.js';
import type { AllocationConstraints } from './constraints.js';
import { numberParam } from './parameters.js';
import { WeighingAlgorithm, finiteOrNull, normalised, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/** Parameters of {@link DrawdownBasedAllocation}. */
export interface DrawdownAllocationOptions {
  /** A strategy whose current drawdown is deeper than this (as a positive fraction) gets raw weight 0 (default 0.2). */
  readonly maxDrawdownThreshold?: number;
  /** Multiplier bonus while recovering: score × (1 + bonus) (default 0.1). */
  readonly recoveryBonus?: number;
  /** Share of the current episode's drawdown that must be recovered to count as recovering (default 0.5). */
  readonly recoveryFraction?: number;
}

/**
 * Drawdown-averse: `score_i = 1 / (1 + |DD_i|)` with DD the current drawdown from the running peak, times
 * `(1 + recoveryBonus)` while recovering — below the peak but back at least `recoveryFraction` of the way from
 * the current episode's trough (`1 − DD/trough ≥ recoveryFraction`); the bonus ends at a new peak or a new
 * low, so it is never permanent (reference defect B13). A strategy with `|DD| > maxDrawdownThreshold` gets
 * raw weight 0, so the constraints cut it to its min. Weights are the scores normalised to sum 1. Edge cases:
 * fewer than two returns or zero volatility → DD = 0, score 1; every strategy losing but within the threshold
 * → weighted by depth; every strategy beyond the threshold → all 0, everything to the reserve (then mins);
 * one strategy → 1 unless cut.
 */
export class DrawdownBasedAllocation extends WeighingAlgorithm {
  readonly name = 'drawdown';
  readonly maxDrawdownThreshold: number;
  readonly recoveryBonus: number;
  readonly recoveryFraction: number;

  /** @throws ConfigError when the threshold or recovery fraction is outside [0, 1] or the bonus is negative. */
  constructor(options: DrawdownAllocationOptions = {}, constraints?: AllocationConstraints) {
    super(constraints);
    this.maxDrawdownThreshold = numberParam(options.maxDrawdownThreshold, 0.2, 'params.maxDrawdownThreshold', 0, 1);
    this.recoveryBonus = numberParam(options.recoveryBonus, 0.1, 'params.recoveryBonus', 0);
    this.recoveryFraction = numberParam(options.recoveryFraction, 0.5, 'params.recoveryFraction', 0, 1);
  }

  protected ownParameters(): Record<string, unknown> {
    return { maxDrawdownThreshold: this.maxDrawdownThreshold, recoveryBonus: this.recoveryBonus, recoveryFraction: this.recoveryFraction };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const inputs: RawAllocation['inputs'] = {};
    const scores: Record<string, number> = {};
    for (const { id, perf } of strategies) {
      const dd = perf.currentDrawdown;
      const trough = perf.episodeTrough;
      const depth = Math.abs(dd);
      const recovering = dd < 0 && trough < 0 && 1 - dd / trough >= this.recoveryFraction;
      const cut = depth > this.maxDrawdownThreshold;
      setOwn(scores, id, cut ? 0 : (1 / (1 + depth)) * (recovering ? 1 + this.recoveryBonus : 1));
      setOwn(inputs, id, {
        value: finiteOrNull(perf.lastValue),
        currentDrawdown: dd,
        episodeTrough: trough,
        maxDrawdown: perf.maxDrawdown,
        recovering: recovering ? 1 : 0,
        cut: cut ? 1 : 0,
      });
    }
    return { inputs, rawWeights: normalised(scores) };
  }
}
