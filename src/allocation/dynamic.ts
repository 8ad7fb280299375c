// DynamicAllocation: momentum weighting by min-max normalised lookback returns, with a guaranteed floor.
import { setOwn } from '../records/ownKeys.js';
import type { AllocationConstraints } from './constraints.js';
import { numberParam, positiveIntegerParam } from './parameters.js';
import type { Weights } from './types.js';
import { WeighingAlgorithm, finiteOrNull, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/** Parameters of {@link DynamicAllocation}. */
export interface DynamicAllocationOptions {
  /** Returns compounded into each strategy's lookback return (default 60). */
  readonly lookback?: number;
  /** Weight every strategy gets at least (default 0.05); lowered to 1/n when n·floor > 1. */
  readonly floor?: number;
}

/**
 * Momentum: `R_i = Π(1 + r) − 1` over the last `lookback` returns, `s_i = (R_i − min R)/(max R − min R)`,
 * `w_i = f + (1 − n·f) · s_i / Σ s` with `f = min(floor, 1/n)`: the worst strategy gets exactly the floor,
 * the others share the rest by rank distance (a true floor, not the reference's additive smoothing term).
 * Edge cases: a strategy with fewer than two returns is unranked and gets the floor; when every ranked
 * strategy has the same return they share the rest equally; with no ranked strategy at all, or one
 * strategy only, the weights are equal (1/n). Every strategy losing changes nothing: ranks are relative.
 * Zero volatility plays no role. Raw weights sum to 1.
 */
export class DynamicAllocation extends WeighingAlgorithm {
  readonly name = 'dynamic';
  readonly lookback: number;
  readonly floor: number;

  /** @throws ConfigError when lookback is not a positive integer or floor is outside [0, 1]. */
  constructor(options: DynamicAllocationOptions = {}, constraints?: AllocationConstraints) {
    super(constraints);
    this.lookback = positiveIntegerParam(options.lookback, 60, 'params.lookback');
    this.floor = numberParam(options.floor, 0.05, 'params.floor', 0, 1);
  }

  protected ownParameters(): Record<string, unknown> {
    return { lookback: this.lookback, floor: this.floor };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const n = strategies.length;
    const inputs: RawAllocation['inputs'] = {};
    const lookbackReturn = new Map<string, number>();
    for (const { id, perf } of strategies) {
      let growth = Number.NaN;
      if (perf.count >= 2) {
        const rs = perf.returns;
        growth = 1;
        for (let i = Math.max(0, rs.length - this.lookback); i < rs.length; i++) growth *= 1 + (rs[i] as number);
        growth -= 1;
        lookbackReturn.set(id, growth);
      }
      setOwn(inputs, id, { value: finiteOrNull(perf.lastValue), count: perf.count, lookbackReturn: finiteOrNull(growth) });
    }
    const rawWeights: Weights = {};
    if (n === 0) return { inputs, rawWeights };
    if (lookbackReturn.size === 0) {
      for (const { id } of strategies) setOwn(rawWeights, id, 1 / n);
      return { inputs, rawWeights };
    }
    const rs = [...lookbackReturn.values()];
    const lo = Math.min(...rs);
    const hi = Math.max(...rs);
    const score = (id: string): number => {
      const r = lookbackReturn.get(id);
      if (r === undefined) return 0;
      return hi > lo ? (r - lo) / (hi - lo) : 1;
    };
    const f = Math.min(this.floor, 1 / n);
    let total = 0;
    for (const { id } of strategies) total += score(id);
    for (const { id } of strategies) setOwn(rawWeights, id, f + (1 - n * f) * (score(id) / total));
    return { inputs, rawWeights };
  }
}
