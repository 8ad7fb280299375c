// Contracts shared by every allocation algorithm: what it reads, what it decides, and how it explains the decision.
import type { StrategyPerformance } from '../performance/strategyPerformance.js';

/** Weights per strategy id: fractions of portfolio value in [0, 1]; the rest stays in the reserve. */
export type Weights = Record<string, number>;

/** What a solver reported when one ran. */
export interface SolverReport {
  readonly name: string;
  /** e.g. 'optimal', 'time_limit', 'infeasible', 'fallback'. */
  readonly status: string;
  readonly objective: number | null;
  /** Relative optimality gap when known (0 for proven optimal). */
  readonly gap: number | null;
}

/** An allocation algorithm's full answer, recorded in RebalanceDecided. */
export interface AllocationDecision {
  /** Per strategy: the statistics the algorithm read (JSON-safe numbers). */
  readonly inputs: Record<string, Record<string, number | null>>;
  /** Weights straight from the formula, before constraints. */
  readonly rawWeights: Weights;
  /** Weights after constraints: every bound holds exactly. */
  readonly finalWeights: Weights;
  /** Human-readable names of the constraints that bound (e.g. `max(a)=0.4`, `maxStrategies=3`). */
  readonly bindingConstraints: readonly string[];
  readonly solver: SolverReport | null;
}

/** An allocation rule between strategies. */
export interface AllocationAlgorithm {
  /** Short stable name, e.g. 'risk-parity'. */
  readonly name: string;
  /** The parameters it was built with (JSON-safe), recorded with each decision. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Full decision with its explanation. */
  decide(performances: Readonly<Record<string, StrategyPerformance>>): AllocationDecision;
  /** Final weights only (`decide(...).finalWeights`). */
  calculateAllocations(performances: Readonly<Record<string, StrategyPerformance>>): Weights;
}
