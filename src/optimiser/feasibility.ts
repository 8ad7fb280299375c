// The independent check every solver answer must pass before it is used: each constraint of the model, money checked exactly.
import { Dec, ZERO } from '../money/decimal.js';
import type { OptimisationProblem } from './problem.js';
import type { SolutionPoint } from './types.js';

/** Slack allowed on weight constraints (solvers work in floating point). */
export const WEIGHT_TOLERANCE = 1e-7;
/** A weight at or below this is treated as not held. */
export const HELD_THRESHOLD = 1e-9;

/** Σ|w − w_current| of a point, including the names that are not candidates (they go to zero). */
export function turnoverOf(problem: OptimisationProblem, weights: readonly number[]): number {
  let total = problem.fixedTurnover;
  for (let i = 0; i < weights.length; i++) total += Math.abs((weights[i] ?? 0) - (problem.current[i] ?? 0));
  return total;
}

/** Lists every constraint a point violates, each named with its symbol or group; empty when the point is feasible. */
export function feasibilityViolations(problem: OptimisationProblem, point: SolutionPoint): string[] {
  const out: string[] = [];
  const n = problem.symbols.length;
  if (point.weights.length !== n) return [`expected ${n} weights, got ${point.weights.length}`];
  const tol = WEIGHT_TOLERANCE;
  let held = 0;
  let sum = 0;
  const sectorSums = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const w = point.weights[i] ?? Number.NaN;
    const symbol = problem.symbols[i] ?? '';
    if (!Number.isFinite(w)) {
      out.push(`weight(${symbol}) is not finite`);
      continue;
    }
    if (w < -tol) out.push(`weight(${symbol})=${w} is negative`);
    if (w > problem.maxWeight + tol) out.push(`weight(${symbol})=${w} > maxWeight ${problem.maxWeight}`);
    if (w > HELD_THRESHOLD) {
      held++;
      if (w < problem.minWeight - tol) out.push(`weight(${symbol})=${w} < minWeight ${problem.minWeight}`);
    }
    sum += w;
    const sector = problem.sectors[i] ?? '';
    sectorSums.set(sector, (sectorSums.get(sector) ?? 0) + w);
  }
  if (held > problem.maxPositions) out.push(`${held} positions > maxPositions ${problem.maxPositions}`);
  if (sum > 1 + tol) out.push(`Σweight=${sum} > 1`);
  if (problem.sectorCap !== undefined) {
    for (const [sector, total] of [...sectorSums].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (total > problem.sectorCap + tol) out.push(`sector ${sector || '(none)'} Σweight=${total} > cap ${problem.sectorCap}`);
    }
  }
  if (problem.turnover !== undefined) {
    const t = turnoverOf(problem, point.weights);
    if (t > problem.turnover + tol) out.push(`turnover ${t} > limit ${problem.turnover}`);
  }
  if (problem.shares === 'lots') {
    if (point.shares === undefined || point.shares.length !== n) {
      out.push('lots mode needs an integer share count per candidate');
    } else {
      let spend = ZERO;
      for (let i = 0; i < n; i++) {
        const q = point.shares[i] ?? Number.NaN;
        const symbol = problem.symbols[i] ?? '';
        if (!Number.isSafeInteger(q) || q < 0) {
          out.push(`shares(${symbol})=${q} is not a whole non-negative number`);
          continue;
        }
        const w = point.weights[i] ?? 0;
        if (Math.abs(w - q * (problem.shareWeights[i] ?? 0)) > tol) {
          out.push(`weight(${symbol})=${w} does not match ${q} shares`);
        }
        spend = spend.plus((problem.prices[i] ?? ZERO).times(new Dec(q)));
      }
      if (spend.gt(problem.capital)) out.push(`spend ${spend.toString()} > capital ${problem.capital.toString()}`);
    }
  }
  return out;
}
