// The pipeline every allocation algorithm shares: sorted ids → weigh (the algorithm's formula) → constrain → explained decision.
import { ownValue, setOwn } from '../records/ownKeys.js';
import type { StrategyPerformance } from '../performance/strategyPerformance.js';
import { AllocationConstraints } from './constraints.js';
import type { AllocationAlgorithm, AllocationDecision, SolverReport, Weights } from './types.js';

/** What an algorithm's formula produced before constraints. */
export interface RawAllocation {
  readonly inputs: Record<string, Record<string, number | null>>;
  /** Raw weights ≥ 0; they sum to 1, below 1 (the rest to the reserve: Kelly, or nothing qualifying) or 0. */
  readonly rawWeights: Weights;
  readonly solver?: SolverReport | null;
}

/** A performance record with its id, in ascending id order. */
export interface RankedPerformance {
  readonly id: string;
  readonly perf: StrategyPerformance;
}

/** JSON-safe number: NaN and ±Infinity become null. */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Base of the built-in algorithms: subclasses supply the formula (`weigh`); constraints and the explanation are common. */
export abstract class WeighingAlgorithm implements AllocationAlgorithm {
  abstract readonly name: string;
  readonly constraints: AllocationConstraints;

  protected constructor(constraints: AllocationConstraints | undefined) {
    this.constraints = constraints ?? new AllocationConstraints();
  }

  /** The algorithm's own parameters (JSON-safe), without the constraints. */
  protected abstract ownParameters(): Record<string, unknown>;

  /** The formula: raw weights for every strategy in `strategies` (ascending ids; may be empty). */
  protected abstract weigh(strategies: readonly RankedPerformance[]): RawAllocation;

  /** Parameters recorded with each decision, constraints included. */
  get parameters(): Readonly<Record<string, unknown>> {
    return { ...this.ownParameters(), constraints: this.constraints.toJSON() };
  }

  /**
   * Weighs the strategies, applies the constraints and explains the outcome.
   * @throws ConfigError when the constraints are infeasible for these strategies.
   */
  decide(performances: Readonly<Record<string, StrategyPerformance>>): AllocationDecision {
    const strategies = Object.keys(performances)
      .sort()
      .map((id) => ({ id, perf: ownValue(performances, id) as StrategyPerformance }));
    const raw = this.weigh(strategies);
    const { weights, binding } = this.constraints.apply(raw.rawWeights);
    return {
      inputs: raw.inputs,
      rawWeights: raw.rawWeights,
      finalWeights: weights,
      bindingConstraints: binding,
      solver: raw.solver ?? null,
    };
  }

  /**
   * Final weights only.
   * @throws ConfigError when the constraints are infeasible for these strategies.
   */
  calculateAllocations(performances: Readonly<Record<string, StrategyPerformance>>): Weights {
    return this.decide(performances).finalWeights;
  }
}

/** Divides every weight by their sum (all zeros stay zeros: nothing qualifies, everything to the reserve). */
export function normalised(scores: Readonly<Record<string, number>>): Weights {
  let total = 0;
  for (const v of Object.values(scores)) total += v;
  const out: Weights = {};
  for (const [id, v] of Object.entries(scores)) setOwn(out, id, total > 0 ? v / total : 0);
  return out;
}
