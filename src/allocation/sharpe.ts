// SharpeProportionalAllocation: weights in proportion to each strategy's positive Sharpe ratio.
import { setOwn } from '../records/ownKeys.js';
import type { AllocationConstraints } from './constraints.js';
import { numberParam, positiveIntegerParam, positiveParam } from './parameters.js';
import { windowStatistics } from './windowStatistics.js';
import { WeighingAlgorithm, finiteOrNull, normalised, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/** Parameters of {@link SharpeProportionalAllocation}. */
export interface SharpeAllocationOptions {
  /** Returns used (default: the performance record's whole window). */
  readonly lookback?: number;
  /** Floor of the annualised volatility in the ratio (default 0.01), so a constant series gets a large but finite score. */
  readonly minVolatility?: number;
}

/**
 * Sharpe-proportional: `s_i = (mean_i − rf)·A / max(σ_i·√A, minVolatility)` (annualised, rf per period from the
 * performance record), `w_i = max(s_i, 0) / Σ max(s_j, 0)`. Edge cases: fewer than two returns → 0; zero
 * volatility → the floor applies, so a constant positive series dominates unless a max constraint caps it;
 * negative Sharpe → 0; every strategy losing (no positive score) → all 0, everything to the reserve; one
 * strategy → 1 if its Sharpe is positive, else 0.
 */
export class SharpeProportionalAllocation extends WeighingAlgorithm {
  readonly name = 'sharpe';
  readonly lookback: number | undefined;
  readonly minVolatility: number;

  /** @throws ConfigError when lookback is not an integer ≥ 2 or minVolatility is not positive. */
  constructor(options: SharpeAllocationOptions = {}, constraints?: AllocationConstraints) {
    super(constraints);
    this.lookback = options.lookback === undefined ? undefined : positiveIntegerParam(options.lookback, 2, 'params.lookback');
    if (this.lookback !== undefined) numberParam(this.lookback, 2, 'params.lookback', 2);
    this.minVolatility = positiveParam(options.minVolatility, 0.01, 'params.minVolatility');
  }

  protected ownParameters(): Record<string, unknown> {
    return { lookback: this.lookback ?? null, minVolatility: this.minVolatility };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const inputs: RawAllocation['inputs'] = {};
    const scores: Record<string, number> = {};
    for (const { id, perf } of strategies) {
      const s = windowStatistics(perf, this.lookback);
      let sharpe = Number.NaN;
      let vol = Number.NaN;
      if (s.count >= 2) {
        vol = Math.sqrt(s.variance * perf.annualization);
        sharpe = ((s.mean - perf.riskFree) * perf.annualization) / Math.max(vol, this.minVolatility);
      }
      setOwn(scores, id, Number.isFinite(sharpe) && sharpe > 0 ? sharpe : 0);
      setOwn(inputs, id, { value: finiteOrNull(perf.lastValue), count: s.count, volatility: finiteOrNull(vol), sharpe: finiteOrNull(sharpe) });
    }
    return { inputs, rawWeights: normalised(scores) };
  }
}
