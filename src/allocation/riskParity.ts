// RiskParityAllocation: inverse volatility, or true equal risk contribution from the strategies' return covariance.
import { ownValue, setOwn } from '../records/ownKeys.js';
import { ConfigError } from '../errors.js';
import type { AllocationConstraints } from './constraints.js';
import { equalRiskContribution, sampleCovariance, shrinkTowardDiagonal } from './equalRiskContribution.js';
import { numberParam, positiveIntegerParam, positiveParam } from './parameters.js';
import type { SolverReport, Weights } from './types.js';
import { windowStatistics } from './windowStatistics.js';
import { WeighingAlgorithm, finiteOrNull, type RankedPerformance, type RawAllocation } from './weighingAlgorithm.js';

/** How risk is equalised. */
export type RiskParityMethod = 'inverse-volatility' | 'equal-risk-contribution';

/** Parameters of {@link RiskParityAllocation}. */
export interface RiskParityOptions {
  readonly method?: RiskParityMethod;
  /** Most recent returns used (default: the performance records' whole window). */
  readonly lookback?: number;
  /** Floor of each annualised volatility (default 0.01); for ERC it floors the covariance diagonal. */
  readonly minVolatility?: number;
}

/** Fewer than this many returns: the strategy has no volatility estimate. */
const MIN_RETURNS = 2;

/**
 * Risk parity. `inverse-volatility`: `w_i ∝ 1 / max(σ_i, minVolatility)` (σ annualised sample volatility; correlations
 * ignored). `equal-risk-contribution`: weights with equal risk contributions `w_i (Σw)_i`, Σ the sample covariance of
 * the strategies' returns aligned by bar time over their common most recent window (at most `lookback`), diagonal
 * floored at minVolatility²/A and, when the common window has no more returns than there are strategies (a singular
 * covariance, for which ERC is ill-posed), shrunk toward its diagonal (Schäfer–Strimmer intensity, recorded as the
 * input `shrinkage`); solved to a relative spread of 1e-10 (Newton with exact line search; Cholesky up to 200
 * strategies, conjugate gradients above) with the solver's status in the decision. Edge cases: a strategy with fewer than two returns gets an
 * equal share 1/n and the others split the rest by the method (not the reference's ~99% to a new strategy, B12);
 * zero volatility → the floor (a riskless series gets a large weight unless a max constraint caps it); a common
 * window shorter than two returns → inverse volatility, reported as solver status 'fallback'; every strategy
 * losing changes nothing (returns' sign is not read); one strategy → 1. Raw weights sum to 1.
 */
export class RiskParityAllocation extends WeighingAlgorithm {
  readonly name = 'risk-parity';
  readonly method: RiskParityMethod;
  readonly lookback: number | undefined;
  readonly minVolatility: number;

  /** @throws ConfigError for an unknown method, a lookback that is not an integer ≥ 2, or a non-positive minVolatility. */
  constructor(options: RiskParityOptions = {}, constraints?: AllocationConstraints) {
    super(constraints);
    const method = options.method ?? 'inverse-volatility';
    if (method !== 'inverse-volatility' && method !== 'equal-risk-contribution') {
      throw new ConfigError(`params.method must be 'inverse-volatility' or 'equal-risk-contribution', got ${JSON.stringify(method)}`, 'params.method');
    }
    this.method = method;
    this.lookback = options.lookback === undefined ? undefined : positiveIntegerParam(options.lookback, 2, 'params.lookback');
    if (this.lookback !== undefined) numberParam(this.lookback, 2, 'params.lookback', 2);
    this.minVolatility = positiveParam(options.minVolatility, 0.01, 'params.minVolatility');
  }

  protected ownParameters(): Record<string, unknown> {
    return { method: this.method, lookback: this.lookback ?? null, minVolatility: this.minVolatility };
  }

  protected weigh(strategies: readonly RankedPerformance[]): RawAllocation {
    const n = strategies.length;
    const inputs: RawAllocation['inputs'] = {};
    const vols = new Map<string, number>();
    for (const { id, perf } of strategies) {
      const s = windowStatistics(perf, this.lookback);
      const vol = s.count >= MIN_RETURNS ? Math.sqrt(s.variance * perf.annualization) : Number.NaN;
      if (s.count >= MIN_RETURNS) vols.set(id, Math.max(vol, this.minVolatility));
      setOwn(inputs, id, { value: finiteOrNull(perf.lastValue), count: s.count, volatility: finiteOrNull(vol) });
    }
    const rawWeights: Weights = {};
    if (n === 0) return { inputs, rawWeights };
    const seasoned = strategies.filter(({ id }) => vols.has(id));
    const seasonedShare = seasoned.length / n;
    for (const { id } of strategies) setOwn(rawWeights, id, vols.has(id) ? 0 : 1 / n);
    if (seasoned.length === 0) return { inputs, rawWeights };

    let solver: SolverReport | null = null;
    let shares: Weights | null = null;
    if (this.method === 'equal-risk-contribution') {
      const erc = this.ercShares(seasoned);
      solver = erc.solver;
      shares = erc.shares;
      if (erc.commonWindow !== null) {
        for (const { id } of seasoned) Object.assign(ownValue(inputs, id) as Record<string, number | null>, { commonWindow: erc.commonWindow, shrinkage: erc.shrinkage });
      }
    }
    if (shares === null) shares = inverseVolatility(seasoned, vols);
    for (const { id } of seasoned) setOwn(rawWeights, id, (ownValue(shares, id) ?? 0) * seasonedShare);
    return { inputs, rawWeights, solver };
  }

  private ercShares(seasoned: readonly RankedPerformance[]): { shares: Weights | null; solver: SolverReport; commonWindow: number | null; shrinkage: number } {
    const aligned = alignReturns(seasoned, this.lookback);
    const m = aligned[0]?.length ?? 0;
    if (m < MIN_RETURNS) {
      return { shares: null, solver: { name: 'erc', status: 'fallback', objective: null, gap: null }, commonWindow: m, shrinkage: 0 };
    }
    const n = seasoned.length;
    const cov = sampleCovariance(aligned);
    // With no more returns than strategies the sample covariance is singular and ERC ill-posed (a fully hedged,
    // riskless long portfolio usually exists); shrinking toward the diagonal makes it well-posed and well-conditioned.
    const shrinkage = m <= n ? shrinkTowardDiagonal(aligned, cov) : 0;
    for (let i = 0; i < n; i++) {
      const a = (seasoned[i] as RankedPerformance).perf.annualization;
      const floor = (this.minVolatility * this.minVolatility) / a;
      if ((cov[i * n + i] as number) < floor) cov[i * n + i] = floor;
    }
    const result = equalRiskContribution(cov, n);
    const shares: Weights = {};
    seasoned.forEach(({ id }, i) => {
      setOwn(shares, id, result.weights[i] as number);
    });
    return {
      shares,
      solver: { name: `erc-${result.method}`, status: result.converged ? 'optimal' : 'iteration_limit', objective: null, gap: result.maxRelativeError },
      commonWindow: m,
      shrinkage,
    };
  }
}

function inverseVolatility(seasoned: readonly RankedPerformance[], vols: ReadonlyMap<string, number>): Weights {
  let total = 0;
  for (const { id } of seasoned) total += 1 / (vols.get(id) as number);
  const out: Weights = {};
  for (const { id } of seasoned) setOwn(out, id, 1 / (vols.get(id) as number) / total);
  return out;
}

/**
 * The strategies' returns at the bar times all of them have, the most recent `lookback` of those (oldest first).
 * Strategies updated on every slice share identical times, which is checked first to skip the set intersection.
 */
export function alignReturns(strategies: readonly RankedPerformance[], lookback?: number): Float64Array[] {
  const times = strategies.map(({ perf }) => perf.returnTimes);
  const first = times[0] ?? [];
  const identical = times.every((t) => t.length === first.length && t.every((x, i) => x === first[i]));
  let series: Float64Array[];
  if (identical) {
    series = strategies.map(({ perf }) => perf.returns);
  } else {
    const sets = times.map((t) => new Set(t));
    const common = first.filter((t) => sets.every((s) => s.has(t)));
    series = strategies.map(({ perf }, k) => {
      const index = new Map<string, number>();
      (times[k] as string[]).forEach((t, i) => index.set(t, i));
      const rs = perf.returns;
      return Float64Array.from(common, (t) => rs[index.get(t) as number] as number);
    });
  }
  const m = series[0]?.length ?? 0;
  const keep = lookback === undefined ? m : Math.min(lookback, m);
  return series.map((s) => s.slice(s.length - keep));
}
