// KellyCriterionAllocation: fractional Kelly bets μ/σ² per strategy, scaled down proportionally when they exceed 100%.
import { setOwn } from '../records/ownKeys.js';
import type { AllocationConstraints } from './constraints.js';
import { numberParam, positiveIntegerParam, positiveParam } from './parameters.js';
import type { Weights } from './types.js';
import { windowStatistics } from './windowStatistics.js';
import { WeighingAlgorithm, finiteOrNull, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/** Parameters of {@link KellyCriterionAllocation}. */
export interface KellyAllocationOptions {
  /** Returns used for μ and σ² (default: the performance record's whole window). */
  readonly lookback?: number;
  /** Fraction of the full Kelly bet (default 0.5, half-Kelly). */
  readonly fraction?: number;
  /** Floor of the annualised variance (default 1e-4), so a near-constant series cannot claim an unbounded bet. */
  readonly minVariance?: number;
}

/**
 * Fractional Kelly: `f_i = fraction · μ_i / max(σ²_i, minVariance)` with μ the annualised mean return and σ²
 * the annualised sample variance; `f_i < 0 → 0`. When `Σ f > 1` every f is divided by Σ f (proportional
 * scaling: the ranking and ratios survive, unlike the reference's clamp-to-1 that flattened to equal
 * weights, B11); when `Σ f ≤ 1` the weights are the fractions themselves and the rest stays in the reserve,
 * so the fraction matters. Edge cases: fewer than two returns → 0 (no evidence of an edge); zero volatility →
 * the variance floor applies; every strategy losing → all 0, everything in the reserve (not equal weights);
 * one strategy → its fraction, capped at 1.
 */
export class KellyCriterionAllocation extends WeighingAlgorithm {
  readonly name = 'kelly';
  readonly lookback: number | undefined;
  readonly fraction: number;
  readonly minVariance: number;

  /** @throws ConfigError when fraction is not in (0, 1], minVariance is not positive or lookback is not a positive integer ≥ 2. */
  constructor(options: KellyAllocationOptions = {}, constraints?: AllocationConstraints) {
    super(constraints);
    this.lookback = options.lookback === undefined ? undefined : positiveIntegerParam(options.lookback, 2, 'params.lookback');
    if (this.lookback !== undefined) numberParam(this.lookback, 2, 'params.lookback', 2);
    this.fraction = positiveParam(options.fraction, 0.5, 'params.fraction');
    numberParam(this.fraction, 0.5, 'params.fraction', 0, 1);
    this.minVariance = positiveParam(options.minVariance, 1e-4, 'params.minVariance');
  }

  protected ownParameters(): Record<string, unknown> {
    return { lookback: this.lookback ?? null, fraction: this.fraction, minVariance: this.minVariance };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const inputs: RawAllocation['inputs'] = {};
    const bets: Weights = {};
    let total = 0;
    for (const { id, perf } of strategies) {
      const s = windowStatistics(perf, this.lookback);
      let bet = 0;
      let mu = Number.NaN;
      let variance = Number.NaN;
      if (s.count >= 2) {
        mu = s.mean * perf.annualization;
        variance = s.variance * perf.annualization;
        const k = (this.fraction * mu) / Math.max(variance, this.minVariance);
        bet = Number.isFinite(k) && k > 0 ? k : 0;
      }
      setOwn(bets, id, bet);
      total += bet;
      setOwn(inputs, id, { value: finiteOrNull(perf.lastValue), count: s.count, meanReturn: finiteOrNull(mu), variance: finiteOrNull(variance), kellyFraction: bet });
    }
    const rawWeights: Weights = {};
    for (const [id, bet] of Object.entries(bets)) setOwn(rawWeights, id, total > 1 ? bet / total : bet);
    return { inputs, rawWeights };
  }
}
