// Public API of src/optimiser (re-exported from the package root).
export type { Allocation, BackendOutcome, Candidate, ModelKind, OptimisationResult, OptimiserSettings, ShareMode, SolutionPoint } from './types.js';
export { buildProblem, modelKindOf, objectiveOf, type OptimisationProblem } from './problem.js';
export { feasibilityViolations, turnoverOf, WEIGHT_TOLERANCE } from './feasibility.js';
export { greedyPoint } from './greedy.js';
export { lpSolverModel, solveBaseWithLpSolver } from './lpSolverBackend.js';
export { highsLpText, loadHighs, solveWithHighs } from './highsBackend.js';
export {
  highsBackend,
  lpSolverBackend,
  optimiseAllocation,
  optimiseBase,
  type OptimiserBackend,
  type SyncOptimiserBackend,
} from './optimise.js';
export { MipAllocation, type MipAllocationOptions, type MipScoreStatistic } from './mipAllocation.js';
