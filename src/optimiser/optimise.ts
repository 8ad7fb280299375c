// Runs one optimisation: picks the backend for the model, checks its answer, falls back to greedy, and prices the result in Decimal.
import { SolverError, ConfigError } from '../errors.js';
import { Dec, ZERO, decFromStatistic, decSum } from '../money/decimal.js';
import { feasibilityViolations, HELD_THRESHOLD } from './feasibility.js';
import { greedyPoint } from './greedy.js';
import { solveWithHighs } from './highsBackend.js';
import { solveBaseWithLpSolver } from './lpSolverBackend.js';
import { buildProblem, modelKindOf, objectiveOf, type OptimisationProblem } from './problem.js';
import type { Allocation, BackendOutcome, Candidate, ModelKind, OptimisationResult, OptimiserSettings, SolutionPoint } from './types.js';

/** A solver the optimiser can call; injectable so callers (and tests) can replace or break it. */
export interface OptimiserBackend {
  readonly name: string;
  solve(problem: OptimisationProblem): BackendOutcome | Promise<BackendOutcome>;
}

/** A solver that answers synchronously (needed inside strategies and allocation algorithms). */
export interface SyncOptimiserBackend {
  readonly name: string;
  solve(problem: OptimisationProblem): BackendOutcome;
}

/** javascript-lp-solver on the base model. */
export const lpSolverBackend: SyncOptimiserBackend = { name: 'javascript-lp-solver', solve: solveBaseWithLpSolver };
/** HiGHS on any model (used for the extended one). */
export const highsBackend: OptimiserBackend = { name: 'highs', solve: solveWithHighs };

const FRACTIONAL_SHARE_DECIMALS = 8;

function toAllocations(problem: OptimisationProblem, point: SolutionPoint): { allocations: Allocation[]; cash: Dec } {
  const held = problem.symbols.map((_, i) => i).filter((i) => (point.weights[i] ?? 0) > HELD_THRESHOLD);
  const allocations: Allocation[] = [];
  if (problem.shares === 'lots') {
    for (const i of held) {
      const shares = new Dec(point.shares?.[i] ?? 0);
      const cost = shares.times(problem.prices[i] ?? ZERO);
      allocations.push({ symbol: problem.symbols[i] ?? '', weight: point.weights[i] ?? 0, dollars: cost, shares, cost });
    }
  } else {
    // Solvers may overshoot Σw = 1 by float dust; scale it away so the money never exceeds the capital.
    const sum = held.reduce((s, i) => s + (point.weights[i] ?? 0), 0);
    const scale = sum > 1 ? 1 / sum : 1;
    const dollars = held.map((i) =>
      decFromStatistic((point.weights[i] ?? 0) * scale, 'weight')
        .times(problem.capital)
        .toDecimalPlaces(problem.moneyDecimals, Dec.ROUND_DOWN),
    );
    const excess = decSum(dollars).minus(problem.capital);
    if (excess.gt(0) && dollars.length > 0) {
      let largest = 0;
      dollars.forEach((d, k) => {
        if (d.gt(dollars[largest] ?? ZERO)) largest = k;
      });
      dollars[largest] = (dollars[largest] ?? ZERO).minus(excess);
    }
    held.forEach((i, k) => {
      const price = problem.prices[i] ?? ZERO;
      const target = dollars[k] ?? ZERO;
      const raw = target.div(price);
      const shares = problem.shares === 'fractional' ? raw.toDecimalPlaces(FRACTIONAL_SHARE_DECIMALS, Dec.ROUND_DOWN) : raw.floor();
      allocations.push({
        symbol: problem.symbols[i] ?? '',
        weight: (point.weights[i] ?? 0) * scale,
        dollars: target,
        shares,
        cost: shares.times(price),
      });
    });
  }
  return { allocations, cash: problem.capital.minus(decSum(allocations.map((a) => a.cost))) };
}

function finish(problem: OptimisationProblem, model: ModelKind, solverName: string, outcome: BackendOutcome): OptimisationResult {
  let point: SolutionPoint | undefined;
  let fallbackReason: string | null = null;
  let report: OptimisationResult['report'] | undefined;
  if (outcome.kind === 'solved') {
    const violations = feasibilityViolations(problem, outcome.point);
    if (violations.length === 0) {
      const objective = objectiveOf(problem, outcome.point.weights);
      const greedy = greedyPoint(problem);
      const greedyObjective = greedy === undefined ? null : objectiveOf(problem, greedy.weights);
      if (greedyObjective === null || !beats(greedyObjective, objective, problem.mipRelGap)) {
        point = outcome.point;
        report = { name: solverName, status: outcome.status, objective, gap: outcome.gap };
      } else {
        point = greedy;
        fallbackReason =
          `${solverName} (${outcome.status}) returned objective ${objective.toPrecision(6)} where the greedy fill finds ` +
          `${greedyObjective.toPrecision(6)}: its answer is not the best${tinyLots(problem)}`;
      }
    } else {
      fallbackReason = `${solverName} (${outcome.status}) returned an infeasible point: ${violations.slice(0, 3).join('; ')}`;
    }
  } else {
    fallbackReason = `${solverName} failed (${outcome.status}): ${outcome.message}`;
  }
  if (point === undefined || fallbackReason !== null) {
    point ??= greedyPoint(problem);
    if (point === undefined) {
      throw new SolverError(
        `no feasible allocation: ${fallbackReason ?? 'solver failed'}; the greedy fallback found no feasible start either (check turnover against the current weights)`,
      );
    }
    report = { name: 'greedy', status: 'fallback', objective: objectiveOf(problem, point.weights), gap: null };
  }
  const { allocations, cash } = toAllocations(problem, point);
  return {
    model,
    allocations,
    report: report ?? { name: solverName, status: 'unknown', objective: null, gap: null },
    fallbackReason,
    cash,
    dropped: problem.dropped,
  };
}

/**
 * Whether the greedy fill's objective beats the solver's by more than twice the gap the solver may stop at (HiGHS's
 * absolute 1e-6, or the relative gap asked of it). A solver answer that a simple feasible point beats is wrong, whatever
 * status it reports: in lots mode a share's weight is price ÷ capital, which with billions to invest falls below
 * HiGHS's tolerances, and it answered "optimal" with most of the capital in cash, or nothing bought. Objectives that
 * are not finite (scores near the largest number) are not compared: the solver's answer stands.
 */
function beats(greedyObjective: number, objective: number, relativeGap: number): boolean {
  if (!Number.isFinite(greedyObjective) || !Number.isFinite(objective)) return false;
  return greedyObjective - objective > 2 * Math.max(1e-6, relativeGap * Math.abs(greedyObjective));
}

/** Why a lots model may be beyond the solver: its smallest step, a share, as a fraction of the capital. */
function tinyLots(problem: OptimisationProblem): string {
  if (problem.shares !== 'lots' || problem.shareWeights.length === 0) return '';
  const smallest = Math.min(...problem.shareWeights);
  return smallest < 1e-6
    ? ` (a share is as little as ${smallest.toExponential(1)} of the capital, below the solver's tolerances; at such a capital whole shares matter little: ` +
        `--floor, shares 'floor', solves continuous weights and floors them)`
    : '';
}

function emptyResult(problem: OptimisationProblem, model: ModelKind, solverName: string): OptimisationResult | undefined {
  if (problem.symbols.length > 0) return undefined;
  if (problem.turnover !== undefined && problem.fixedTurnover > problem.turnover + 1e-7) {
    throw new SolverError(`no feasible allocation: selling every current holding needs turnover ${problem.fixedTurnover} > limit ${problem.turnover}`);
  }
  return { model, allocations: [], report: { name: solverName, status: 'empty', objective: 0, gap: 0 }, fallbackReason: null, cash: problem.capital, dropped: problem.dropped };
}

/**
 * Solves the base model synchronously with javascript-lp-solver (or `backend`), with check and greedy fallback.
 * @throws ConfigError for invalid input or when the settings need the extended model (sector caps, turnover, lots).
 * @throws SolverError when no feasible allocation exists.
 */
export function optimiseBase(
  candidates: readonly Candidate[],
  settings: OptimiserSettings,
  backend: SyncOptimiserBackend = lpSolverBackend,
): OptimisationResult {
  const problem = buildProblem(candidates, settings);
  if (modelKindOf(problem) !== 'base') {
    throw new ConfigError('sector caps, turnover and whole-share lots need the extended model: call optimiseAllocation', 'settings');
  }
  return emptyResult(problem, 'base', backend.name) ?? finish(problem, 'base', backend.name, backend.solve(problem));
}

/**
 * Solves the model the settings need: the base model with javascript-lp-solver, the extended one with HiGHS (or `backend`).
 * @throws ConfigError for invalid input.
 * @throws SolverError when no feasible allocation exists.
 */
export async function optimiseAllocation(
  candidates: readonly Candidate[],
  settings: OptimiserSettings,
  backend?: OptimiserBackend,
): Promise<OptimisationResult> {
  const problem = buildProblem(candidates, settings);
  const model = modelKindOf(problem);
  const chosen = backend ?? (model === 'base' ? lpSolverBackend : highsBackend);
  const empty = emptyResult(problem, model, chosen.name);
  if (empty !== undefined) return empty;
  return finish(problem, model, chosen.name, await chosen.solve(problem));
}
