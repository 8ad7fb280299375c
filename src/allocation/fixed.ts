// FixedAllocation: the configured weights, unchanged by performance and never renormalised.
import { ownValue, setOwn } from '../records/ownKeys.js';
import { ConfigError } from '../errors.js';
import type { AllocationConstraints } from './constraints.js';
import { numberParam } from './parameters.js';
import type { Weights } from './types.js';
import { WeighingAlgorithm, finiteOrNull, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/**
 * Fixed weights: `w_i = allocations[i]`, exactly as configured (not renormalised, unlike the reference, B14).
 * A strategy absent from `allocations` gets 0; configured ids that are not present are ignored, and their
 * share stays in the reserve. Performance is not read, so fewer than two returns, zero volatility, every
 * strategy losing and a single strategy change nothing. Constraints still apply (e.g. a max below the
 * configured weight caps it and the excess goes to the others in proportion).
 */
export class FixedAllocation extends WeighingAlgorithm {
  readonly name = 'fixed';
  readonly allocations: Readonly<Weights>;

  /**
   * @throws ConfigError when a weight is outside [0, 1] or the weights sum above 1.
   */
  constructor(allocations: Readonly<Record<string, number>>, constraints?: AllocationConstraints) {
    super(constraints);
    const copy: Weights = {};
    let total = 0;
    for (const id of Object.keys(allocations).sort()) {
      const w = numberParam(ownValue(allocations, id), 0, `allocations.${id}`, 0, 1);
      setOwn(copy, id, w);
      total += w;
    }
    if (total > 1 + 1e-12) throw new ConfigError(`allocations sum to ${total}, above 1 (100%)`, 'allocations');
    this.allocations = Object.freeze(copy);
  }

  protected ownParameters(): Record<string, unknown> {
    return { allocations: { ...this.allocations } };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const inputs: RawAllocation['inputs'] = {};
    const rawWeights: Weights = {};
    for (const { id, perf } of strategies) {
      setOwn(inputs, id, { value: finiteOrNull(perf.lastValue) });
      setOwn(rawWeights, id, ownValue(this.allocations, id) ?? 0);
    }
    return { inputs, rawWeights };
  }
}
