// Benchmark: one allocation decision per algorithm at 10, 100 and 1,000 strategies with 2,520-return histories.
import {
  DrawdownBasedAllocation,
  DynamicAllocation,
  FixedAllocation,
  KellyCriterionAllocation,
  RiskParityAllocation,
  SharpeProportionalAllocation,
  type AllocationAlgorithm,
} from '../src/allocation/index.js';
import { StrategyPerformance } from '../src/performance/index.js';
import { SeededRandom } from '../src/market/seededRandom.js';

export const name = 'allocation';


const HISTORY = 2_520;
const times = Array.from({ length: HISTORY + 1 }, (_, i) => new Date(Date.UTC(2010, 0, 1) + i * 86_400_000).toISOString());

/** n strategies driven by one common factor plus noise, each fed 2,520 updates (one per slice, like the engine). */
function performances(n: number): Record<string, StrategyPerformance> {
  const random = new SeededRandom(n);
  const normal = (): number => random.normal();
  const out: Record<string, StrategyPerformance> = {};
  const perfs: StrategyPerformance[] = [];
  const values: number[] = [];
  const loadings: number[] = [];
  for (let k = 0; k < n; k++) {
    const id = `s${String(k).padStart(4, '0')}`;
    const p = new StrategyPerformance(id, { lookback: 252 });
    out[id] = p;
    perfs.push(p);
    values.push(100_000);
    loadings.push(random.uniform() * 1.6 - 0.8);
    p.update(times[0] as string, 100_000);
  }
  for (let t = 1; t <= HISTORY; t++) {
    const f = normal();
    for (let k = 0; k < n; k++) {
      const l = loadings[k] as number;
      const r = 0.0003 + 0.01 * (l * f + Math.sqrt(1 - l * l) * normal());
      values[k] = (values[k] as number) * (1 + r);
      (perfs[k] as StrategyPerformance).update(times[t] as string, values[k] as number);
    }
  }
  return out;
}

function timeDecide(algo: AllocationAlgorithm, perfs: Record<string, StrategyPerformance>, budgetMs: number): number {
  // One untimed run so the figures are of JIT-compiled code, as in a long backtest.
  algo.decide(perfs);
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    algo.decide(perfs);
    runs += 1;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs && runs < 200);
  return Number((elapsed / runs).toFixed(3));
}

export async function run(): Promise<Record<string, unknown>> {
  const figures: Record<string, Record<string, number>> = {};
  for (const n of [10, 100, 1_000]) {
    const setup = performance.now();
    const perfs = performances(n);
    const setupMs = performance.now() - setup;
    const ids = Object.keys(perfs);
    const algorithms: AllocationAlgorithm[] = [
      new FixedAllocation(Object.fromEntries(ids.map((id) => [id, 1 / n]))),
      new DynamicAllocation({ lookback: 60 }),
      new RiskParityAllocation({ method: 'inverse-volatility' }),
      new RiskParityAllocation({ method: 'equal-risk-contribution' }),
      new KellyCriterionAllocation(),
      new DrawdownBasedAllocation(),
      new SharpeProportionalAllocation(),
    ];
    const row: Record<string, number> = { updatesPerStrategy: HISTORY, updateMicrosecondsPerStrategyPerSlice: Number(((setupMs * 1000) / (n * HISTORY)).toFixed(3)) };
    for (const algo of algorithms) {
      const key = algo.name === 'risk-parity' ? `risk-parity:${String((algo as RiskParityAllocation).method)}` : algo.name;
      row[`${key} ms/decide`] = timeDecide(algo, perfs, n >= 1_000 ? 3_000 : 500);
    }
    figures[`${n} strategies`] = row;
    await Promise.resolve();
  }
  return { lookback: 252, history: HISTORY, figures };
}
