// Solves the extended model (sector caps, turnover, whole-share lots) with HiGHS (WebAssembly), writing it as CPLEX LP text.
import type { Highs } from 'highs';
import type { OptimisationProblem } from './problem.js';
import { variableName } from './lpSolverBackend.js';
import type { BackendOutcome } from './types.js';

let loading: Promise<Highs> | undefined;

/**
 * Loads the HiGHS WebAssembly module once per process, so that a caller can pay for it before a timed solve. It resolves
 * to nothing: HiGHS's own types name WebAssembly, which a program compiled without the DOM library does not declare, so
 * none of this package's declarations may name them.
 */
export async function loadHighs(): Promise<void> {
  await highsModule();
}

function highsModule(): Promise<Highs> {
  loading ??= import('highs').then((m: unknown) => resolveLoader(m)());
  return loading;
}

type HighsLoader = () => Promise<Highs>;

// The package's typings describe CJS while Node loads its ESM build, so the default export is found at run time.
function resolveLoader(mod: unknown): HighsLoader {
  let current: unknown = mod;
  for (let depth = 0; depth < 3; depth++) {
    if (typeof current === 'function') return current as HighsLoader;
    current = typeof current === 'object' && current !== null && 'default' in current ? current.default : undefined;
  }
  throw new Error('highs: no loader function found in the module');
}

function num(value: number): string {
  // Shortest round-trip text; the LP reader accepts exponent notation.
  return String(value);
}

function linear(terms: readonly (readonly [number, string])[]): string {
  const parts: string[] = [];
  for (const [coef, name] of terms) {
    if (coef === 0) continue;
    const sign = coef < 0 ? '-' : '+';
    parts.push(`${parts.length === 0 && sign === '+' ? '' : `${sign} `}${num(Math.abs(coef))} ${name}`);
  }
  return parts.length === 0 ? '0 dummy' : parts.join(' ');
}

/** Writes the extended model as CPLEX LP text; variables w/x/t/n are indexed in symbol order. */
export function highsLpText(problem: OptimisationProblem): string {
  const n = problem.symbols.length;
  const idx = [...Array(n).keys()];
  const w = (i: number): string => variableName('w', i);
  const x = (i: number): string => variableName('x', i);
  const t = (i: number): string => variableName('t', i);
  const q = (i: number): string => variableName('n', i);
  const rows: string[] = [];
  rows.push(` budget: ${linear(idx.map((i) => [1, w(i)]))} <= 1`);
  rows.push(` positions: ${linear(idx.map((i) => [1, x(i)]))} <= ${problem.maxPositions}`);
  for (const i of idx) {
    rows.push(` ${variableName('u', i)}: ${linear([[1, w(i)], [-problem.maxWeight, x(i)]])} <= 0`);
    if (problem.minWeight > 0) rows.push(` ${variableName('l', i)}: ${linear([[1, w(i)], [-problem.minWeight, x(i)]])} >= 0`);
  }
  if (problem.sectorCap !== undefined) {
    const sectors = [...new Set(problem.sectors)].sort();
    sectors.forEach((sector, k) => {
      const members = idx.filter((i) => problem.sectors[i] === sector);
      rows.push(` ${variableName('s', k)}: ${linear(members.map((i) => [1, w(i)]))} <= ${num(problem.sectorCap ?? 1)}`);
    });
  }
  if (problem.turnover !== undefined) {
    // t_i ≥ |w_i − c_i| through two rows; Σt bounds the turnover the candidates may still use.
    for (const i of idx) {
      const c = problem.current[i] ?? 0;
      rows.push(` ${variableName('tp', i)}: ${linear([[1, t(i)], [-1, w(i)]])} >= ${num(-c)}`);
      rows.push(` ${variableName('tn', i)}: ${linear([[1, t(i)], [1, w(i)]])} >= ${num(c)}`);
    }
    rows.push(` turnover: ${linear(idx.map((i) => [1, t(i)]))} <= ${num(problem.turnover - problem.fixedTurnover)}`);
  }
  const bounds: string[] = idx.map((i) => ` 0 <= ${w(i)} <= ${num(problem.maxWeight)}`);
  const general: string[] = [];
  if (problem.shares === 'lots') {
    // w_i = n_i·price_i/capital with n_i whole, and the spend row holds the budget in money, not in rounded weights.
    for (const i of idx) rows.push(` ${variableName('q', i)}: ${linear([[1, w(i)], [-(problem.shareWeights[i] ?? 0), q(i)]])} = 0`);
    rows.push(` spend: ${linear(idx.map((i) => [(problem.prices[i]?.toNumber() ?? 0), q(i)]))} <= ${problem.capital.toString()}`);
    for (const i of idx) {
      const most = Math.floor(problem.maxWeight / (problem.shareWeights[i] ?? 1) + 1e-9);
      bounds.push(` 0 <= ${q(i)} <= ${most}`);
      general.push(q(i));
    }
  }
  return [
    'Maximize',
    ` obj: ${linear(idx.map((i) => [problem.scores[i] ?? 0, w(i)]))}`,
    'Subject To',
    ...rows,
    'Bounds',
    ...bounds,
    'Binary',
    ...idx.map((i) => ` ${x(i)}`),
    ...(general.length > 0 ? ['General', ...general.map((g) => ` ${g}`)] : []),
    'End',
    '',
  ].join('\n');
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  7: 'optimal',
  8: 'infeasible',
  9: 'infeasible_or_unbounded',
  10: 'unbounded',
  13: 'time_limit',
  14: 'iteration_limit',
  17: 'interrupted',
};

/** Solves the extended model with HiGHS under the problem's time limit; the point still has to pass the feasibility check. */
export async function solveWithHighs(problem: OptimisationProblem): Promise<BackendOutcome> {
  const highs = await highsModule();
  const text = highsLpText(problem);
  let model: ReturnType<Highs['createModel']> | undefined;
  try {
    model = highs.createModel({ format: 'lp', data: text });
    model.options.set({
      time_limit: problem.timeLimitSeconds,
      mip_rel_gap: problem.mipRelGap,
      output_flag: false,
      random_seed: 0,
    });
    const run = model.run();
    const status = STATUS_NAMES[run.modelStatus] ?? `status_${run.modelStatus}`;
    const hasSolution = Number(model.info.get('primal_solution_status')) === 2;
    if (!hasSolution) return { kind: 'failed', status, message: `HiGHS stopped with ${status} and no feasible point` };
    const values = new Map<string, number>();
    const colValue = model.getSolution().colValue;
    for (let j = 0; j < colValue.length; j++) values.set(model.getColName(j), colValue[j] ?? 0);
    const gapInfo = Number(model.info.get('mip_gap'));
    const objective = model.getObjectiveValue();
    const n = problem.symbols.length;
    const selected = [...Array(n).keys()].map((i) => Math.round(values.get(variableName('x', i)) ?? 0));
    if (problem.shares === 'lots') {
      const shares = selected.map((x, i) => (x === 0 ? 0 : Math.max(0, Math.round(values.get(variableName('n', i)) ?? 0))));
      const weights = shares.map((s, i) => s * (problem.shareWeights[i] ?? 0));
      return { kind: 'solved', status, objective, gap: Number.isFinite(gapInfo) ? gapInfo : null, point: { weights, shares } };
    }
    const weights = selected.map((x, i) => (x === 0 ? 0 : Math.max(0, values.get(variableName('w', i)) ?? 0)));
    return { kind: 'solved', status, objective, gap: Number.isFinite(gapInfo) ? gapInfo : null, point: { weights } };
  } catch (err) {
    return { kind: 'failed', status: 'error', message: `HiGHS failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    model?.dispose();
  }
}
