// Solves the base model (score-weighted, cardinality-capped, continuous weights) synchronously with javascript-lp-solver.
import * as lpSolverModule from 'javascript-lp-solver';
import type { ConstraintBound, Model, VariableCoefficients } from 'javascript-lp-solver';
import type { OptimisationProblem } from './problem.js';
import type { BackendOutcome } from './types.js';

/** The one entry point used from javascript-lp-solver. */
interface LpSolver {
  Solve(model: Model): unknown;
}

function isLpSolver(value: unknown): value is LpSolver {
  return typeof value === 'object' && value !== null && 'Solve' in value && typeof value.Solve === 'function';
}

// The package ships CJS typings for an ESM build, so TypeScript (NodeNext) and Node disagree on where the default
// export sits; find it at run time instead of trusting either.
function resolveSolver(mod: unknown): LpSolver {
  let current: unknown = mod;
  for (let depth = 0; depth < 3; depth++) {
    if (isLpSolver(current)) return current;
    current = typeof current === 'object' && current !== null && 'default' in current ? current.default : undefined;
  }
  throw new Error('javascript-lp-solver: no Solve function found in the module');
}

const solver = resolveSolver(lpSolverModule);

/** Name of variable `prefix` for the i-th candidate (by symbol order), zero-padded so names sort like indices. */
export function variableName(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(6, '0')}`;
}

/** Builds the lp-solver JSON model of the base problem: w_i ≤ maxW·x_i, w_i ≥ minW·x_i, Σw ≤ 1, Σx ≤ maxPositions. */
export function lpSolverModel(problem: OptimisationProblem): Model {
  const constraints: Record<string, ConstraintBound> = {
    budget: { max: 1 },
    positions: { max: problem.maxPositions },
  };
  const variables: Record<string, VariableCoefficients> = {};
  const binaries: Record<string, 1> = {};
  problem.symbols.forEach((_, i) => {
    const w = variableName('w', i);
    const x = variableName('x', i);
    const upper = variableName('u', i);
    const lower = variableName('l', i);
    constraints[upper] = { max: 0 };
    const wCoef: VariableCoefficients = { score: problem.scores[i] ?? 0, budget: 1, [upper]: 1 };
    const xCoef: VariableCoefficients = { positions: 1, [upper]: -problem.maxWeight };
    if (problem.minWeight > 0) {
      constraints[lower] = { min: 0 };
      wCoef[lower] = 1;
      xCoef[lower] = -problem.minWeight;
    }
    variables[w] = wCoef;
    variables[x] = xCoef;
    binaries[x] = 1;
  });
  return {
    optimize: 'score',
    opType: 'max',
    constraints,
    variables,
    binaries,
    options: { timeout: Math.round(problem.timeLimitSeconds * 1000) },
  };
}

function numberField(result: object, key: string): number {
  const value: unknown = (result as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : 0;
}

/** Solves the base model with javascript-lp-solver; the point still has to pass the feasibility check. */
export function solveBaseWithLpSolver(problem: OptimisationProblem): BackendOutcome {
  let raw: unknown;
  try {
    raw = solver.Solve(lpSolverModel(problem));
  } catch (err) {
    return { kind: 'failed', status: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (typeof raw !== 'object' || raw === null || !('feasible' in raw)) {
    return { kind: 'failed', status: 'error', message: 'javascript-lp-solver returned no result' };
  }
  if (raw.feasible !== true) return { kind: 'failed', status: 'infeasible', message: 'javascript-lp-solver found no feasible point' };
  const weights = problem.symbols.map((_, i) => {
    // A binary at 0 forces its weight to 0; clearing float dust keeps the held count honest.
    const x = Math.round(numberField(raw, variableName('x', i)));
    return x === 0 ? 0 : Math.max(0, numberField(raw, variableName('w', i)));
  });
  const integral = 'isIntegral' in raw ? raw.isIntegral !== false : true;
  return {
    kind: 'solved',
    // lp-solver's branch and bound runs to a proven optimum unless its timeout cuts it short, which it does not report.
    status: integral ? 'optimal' : 'not_integral',
    objective: numberField(raw, 'result'),
    gap: integral ? 0 : null,
    point: { weights },
  };
}
