// The deterministic fallback: fill names in descending score order within every constraint, used when a solver fails.
import { Dec, ZERO } from '../money/decimal.js';
import { feasibilityViolations, HELD_THRESHOLD, turnoverOf } from './feasibility.js';
import type { OptimisationProblem } from './problem.js';
import type { SolutionPoint } from './types.js';

// Keeps a greedy step strictly inside the float tolerance of the feasibility check.
const SAFETY = 1e-12;

function startingPoints(problem: OptimisationProblem): SolutionPoint[] {
  const n = problem.symbols.length;
  const zero: SolutionPoint =
    problem.shares === 'lots' ? { weights: new Array<number>(n).fill(0), shares: new Array<number>(n).fill(0) } : { weights: new Array<number>(n).fill(0) };
  if (problem.turnover === undefined) return [zero];
  // Under a turnover limit, staying near the current holdings may be the only feasible start; a holding above the
  // weight cap is cut to it (which a turnover limit usually allows where selling everything is not).
  const clipped = problem.current.map((c) => Math.min(c, problem.maxWeight));
  if (problem.shares === 'lots') {
    const lotsOf = (weights: readonly number[]): SolutionPoint => {
      const shares = weights.map((c, i) => Math.max(0, Math.floor(c / (problem.shareWeights[i] ?? 1) + SAFETY)));
      return { weights: shares.map((q, i) => q * (problem.shareWeights[i] ?? 0)), shares };
    };
    return [lotsOf(problem.current), lotsOf(clipped), zero];
  }
  return [{ weights: [...problem.current] }, { weights: clipped }, zero];
}

/**
 * Greedy by score (ties by symbol): each name in turn gets as much weight as every constraint leaves room for.
 * Returns undefined when no feasible starting point exists (e.g. a turnover limit that current holdings already break).
 */
export function greedyPoint(problem: OptimisationProblem): SolutionPoint | undefined {
  const start = startingPoints(problem).find((p) => feasibilityViolations(problem, p).length === 0);
  if (start === undefined) return undefined;
  const n = problem.symbols.length;
  const w = [...start.weights];
  const q = start.shares === undefined ? undefined : [...start.shares];
  const order = [...Array(n).keys()].sort((a, b) => (problem.scores[b] ?? 0) - (problem.scores[a] ?? 0) || a - b);
  let spend = ZERO;
  if (q !== undefined) for (let i = 0; i < n; i++) spend = spend.plus((problem.prices[i] ?? ZERO).times(new Dec(q[i] ?? 0)));

  for (const i of order) {
    const wi = w[i] ?? 0;
    const held = w.filter((x) => x > HELD_THRESHOLD).length;
    if (wi <= HELD_THRESHOLD && held >= problem.maxPositions) continue;
    const sum = w.reduce((s, x) => s + x, 0);
    let room = Math.min(problem.maxWeight - wi, 1 - sum);
    if (problem.sectorCap !== undefined) {
      const sector = problem.sectors[i];
      let inSector = 0;
      for (let j = 0; j < n; j++) if (problem.sectors[j] === sector) inSector += w[j] ?? 0;
      room = Math.min(room, problem.sectorCap - inSector);
    }
    if (problem.turnover !== undefined) {
      const free = Math.max(0, (problem.current[i] ?? 0) - wi);
      room = Math.min(room, problem.turnover - turnoverOf(problem, w) + 2 * free);
    }
    if (q !== undefined) {
      const price = problem.prices[i] ?? ZERO;
      // Whole lots: a room of exactly k lots must give k, not k − 1 through float error (the check allows 1e-7).
      const byWeight = Math.floor(room / (problem.shareWeights[i] ?? 1) + 1e-9);
      const byBudget = problem.capital.minus(spend).div(price).floor().toNumber();
      const add = Math.min(byWeight, byBudget);
      const newQ = (q[i] ?? 0) + add;
      const newW = newQ * (problem.shareWeights[i] ?? 0);
      if (add <= 0 || newW < problem.minWeight) continue;
      q[i] = newQ;
      w[i] = newW;
      spend = spend.plus(price.times(new Dec(add)));
    } else {
      room -= SAFETY;
      if (room <= 0) continue;
      const newW = wi + room;
      if (newW < problem.minWeight) continue;
      w[i] = newW;
    }
  }
  const point: SolutionPoint = q === undefined ? { weights: w } : { weights: w, shares: q };
  return feasibilityViolations(problem, point).length === 0 ? point : start;
}
