// MipAllocation: capital between strategies from the base MIP, scored by one statistic, with a cap on funded strategies.
import type { AllocationAlgorithm, AllocationDecision, Weights } from '../allocation/types.js';
import { ConfigError } from '../errors.js';
import { ONE } from '../money/decimal.js';
import type { StrategyPerformance } from '../performance/strategyPerformance.js';
import { optimiseBase, type SyncOptimiserBackend } from './optimise.js';
import type { Candidate } from './types.js';

/** Which StrategyPerformance statistic scores a strategy. */
export type MipScoreStatistic = 'sharpe' | 'meanReturn' | 'sortino';

/** Options of {@link MipAllocation}. */
export interface MipAllocationOptions {
  /** Default 'sharpe'. */
  readonly score?: MipScoreStatistic;
  /** At most this many strategies are funded (default: all). */
  readonly maxStrategies?: number;
  /** Floor of a funded strategy's weight (default 0). */
  readonly minWeight?: number;
  /** Cap of any strategy's weight (default 1). */
  readonly maxWeight?: number;
  /** Solver time limit in seconds (default 5). */
  readonly timeLimitSeconds?: number;
}

// Bound snapping: solver dust must not leave a weight a hair outside a bound it was meant to sit on.
const SNAP = 1e-9;

/**
 * MipAllocation maximises Σ score·w over strategies subject to w ≤ maxWeight·x, w ≥ minWeight·x, Σw ≤ 1 and
 * Σx ≤ maxStrategies (x binary), where score is the chosen statistic of each StrategyPerformance. Edge cases:
 * a strategy whose statistic is undefined (fewer than two returns, zero volatility → NaN) or not positive is not
 * funded; when every strategy is losing nothing is funded and all capital stays in the reserve; a single strategy
 * gets maxWeight. The solver's weights are the raw weights; final weights are the same weights snapped onto bounds.
 */
export class MipAllocation implements AllocationAlgorithm {
  readonly name = 'mip';
  readonly parameters: Readonly<Record<string, unknown>>;
  private readonly score: MipScoreStatistic;
  private readonly maxStrategies: number | undefined;
  private readonly minWeight: number;
  private readonly maxWeight: number;
  private readonly timeLimitSeconds: number;

  /**
   * Builds the rule; `backend` replaces javascript-lp-solver (for tests or another synchronous solver).
   * @throws ConfigError naming the option that is out of range.
   */
  constructor(options: MipAllocationOptions = {}, private readonly backend?: SyncOptimiserBackend) {
    this.score = options.score ?? 'sharpe';
    if (!['sharpe', 'meanReturn', 'sortino'].includes(this.score)) {
      throw new ConfigError(`score must be sharpe, meanReturn or sortino, got ${String(this.score)}`, 'score');
    }
    this.maxStrategies = options.maxStrategies;
    if (this.maxStrategies !== undefined && (!Number.isSafeInteger(this.maxStrategies) || this.maxStrategies < 1)) {
      throw new ConfigError(`maxStrategies must be a positive integer, got ${String(this.maxStrategies)}`, 'maxStrategies');
    }
    this.minWeight = options.minWeight ?? 0;
    this.maxWeight = options.maxWeight ?? 1;
    for (const [field, v] of [['minWeight', this.minWeight], ['maxWeight', this.maxWeight]] as const) {
      if (!Number.isFinite(v) || v < 0 || v > 1) throw new ConfigError(`${field} must be in [0, 1], got ${String(v)}`, field);
    }
    if (this.maxWeight === 0 || this.minWeight > this.maxWeight) {
      throw new ConfigError(`need 0 ≤ minWeight ≤ maxWeight and maxWeight > 0, got ${this.minWeight} and ${this.maxWeight}`, 'minWeight');
    }
    this.timeLimitSeconds = options.timeLimitSeconds ?? 5;
    if (!(this.timeLimitSeconds > 0)) throw new ConfigError('timeLimitSeconds must be positive', 'timeLimitSeconds');
    this.parameters = {
      score: this.score,
      maxStrategies: this.maxStrategies ?? null,
      minWeight: this.minWeight,
      maxWeight: this.maxWeight,
      timeLimitSeconds: this.timeLimitSeconds,
    };
  }

  /** Decides the weights and explains them (inputs, binding bounds, solver report). */
  decide(performances: Readonly<Record<string, StrategyPerformance>>): AllocationDecision {
    const ids = Object.keys(performances).sort();
    const inputs: Record<string, Record<string, number | null>> = {};
    const candidates: Candidate[] = [];
    for (const id of ids) {
      const perf = performances[id];
      if (perf === undefined) continue;
      const value = perf[this.score];
      const finite = Number.isFinite(value) ? value : null;
      inputs[id] = { [this.score]: finite, count: perf.count };
      if (finite !== null && finite > 0) candidates.push({ symbol: id, score: finite, price: ONE });
    }
    const weights: Weights = Object.fromEntries(ids.map((id) => [id, 0]));
    const binding: string[] = [];
    if (candidates.length === 0) {
      return { inputs, rawWeights: { ...weights }, finalWeights: weights, bindingConstraints: ['no strategy with a positive score'], solver: null };
    }
    const maxStrategies = this.maxStrategies ?? ids.length;
    const result = optimiseBase(
      candidates,
      {
        capital: ONE,
        maxPositions: maxStrategies,
        maxWeight: this.maxWeight,
        minWeight: this.minWeight,
        shares: 'fractional',
        timeLimitSeconds: this.timeLimitSeconds,
      },
      this.backend,
    );
    const raw: Weights = { ...weights };
    for (const a of result.allocations) raw[a.symbol] = a.weight;
    const final: Weights = { ...raw };
    for (const id of ids) {
      const w = final[id] ?? 0;
      if (w <= SNAP) final[id] = 0;
      else if (Math.abs(w - this.maxWeight) <= SNAP) final[id] = this.maxWeight;
      else if (Math.abs(w - this.minWeight) <= SNAP) final[id] = this.minWeight;
    }
    let total = ids.reduce((s, id) => s + (final[id] ?? 0), 0);
    if (total > 1) {
      // Dust above 100% comes off the largest weight that is above its floor.
      const target = ids.filter((id) => (final[id] ?? 0) > this.minWeight).sort((a, b) => (final[b] ?? 0) - (final[a] ?? 0))[0];
      if (target !== undefined) final[target] = (final[target] ?? 0) - (total - 1);
      total = 1;
    }
    const funded = ids.filter((id) => (final[id] ?? 0) > 0);
    if (funded.length === maxStrategies && candidates.length > maxStrategies) binding.push(`maxStrategies=${maxStrategies}`);
    for (const id of funded) {
      if (final[id] === this.maxWeight) binding.push(`max(${id})=${this.maxWeight}`);
      else if (final[id] === this.minWeight && this.minWeight > 0) binding.push(`min(${id})=${this.minWeight}`);
    }
    if (total >= 1 - SNAP) binding.push('total=1');
    return { inputs, rawWeights: raw, finalWeights: final, bindingConstraints: binding, solver: result.report };
  }

  /** Final weights only. */
  calculateAllocations(performances: Readonly<Record<string, StrategyPerformance>>): Weights {
    return this.decide(performances).finalWeights;
  }
}
