// The optimiser against brute force on small cases, its feasibility check, its fallback and its determinism.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, SolverError } from '../src/errors.js';
import { dec } from '../src/money/decimal.js';
import { buildProblem, objectiveOf } from '../src/optimiser/problem.js';
import { feasibilityViolations } from '../src/optimiser/feasibility.js';
import { greedyPoint } from '../src/optimiser/greedy.js';
import { optimiseAllocation, optimiseBase, type OptimiserBackend } from '../src/optimiser/optimise.js';
import type { Candidate, OptimiserSettings } from '../src/optimiser/types.js';

interface SmallCase {
  readonly scores: number[];
  readonly sectors: string[];
  readonly maxPositions: number;
  readonly maxWeight: number;
  readonly minWeight: number;
}

function candidatesOf(c: SmallCase, prices?: readonly string[]): Candidate[] {
  return c.scores.map((score, i) => ({
    symbol: `S${String(i).padStart(2, '0')}`,
    score,
    price: dec(prices?.[i] ?? '100'),
    sector: c.sectors[i] ?? 'a',
  }));
}

function* subsets(n: number, maxSize: number, start = 0, chosen: number[] = []): Generator<number[]> {
  yield chosen;
  if (chosen.length === maxSize) return;
  for (let i = start; i < n; i++) yield* subsets(n, maxSize, i + 1, [...chosen, i]);
}

/**
 * Continuous-weight optimum by enumeration: for each chosen set, every name gets minWeight and the rest of the budget
 * goes greedily by score (optimal for item, sector and total capacities, which form a laminar family).
 */
function bruteForceContinuous(c: SmallCase, sectorCap: number | undefined): number {
  const positive = c.scores.map((s, i) => i).filter((i) => (c.scores[i] ?? 0) > 0);
  let best = 0;
  for (const set of subsets(positive.length, c.maxPositions)) {
    const items = set.map((k) => positive[k] ?? 0);
    const budget = 1 - items.length * c.minWeight;
    if (budget < -1e-12) continue;
    const sectorRoom = new Map<string, number>();
    let ok = true;
    for (const i of items) {
      const s = c.sectors[i] ?? 'a';
      sectorRoom.set(s, (sectorRoom.get(s) ?? sectorCap ?? Infinity) - c.minWeight);
      if ((sectorRoom.get(s) ?? 0) < -1e-12) ok = false;
    }
    if (!ok) continue;
    let value = items.reduce((v, i) => v + (c.scores[i] ?? 0) * c.minWeight, 0);
    let left = budget;
    for (const i of [...items].sort((a, b) => (c.scores[b] ?? 0) - (c.scores[a] ?? 0))) {
      const s = c.sectors[i] ?? 'a';
      const add = Math.max(0, Math.min(c.maxWeight - c.minWeight, left, sectorRoom.get(s) ?? Infinity));
      left -= add;
      sectorRoom.set(s, (sectorRoom.get(s) ?? Infinity) - add);
      value += (c.scores[i] ?? 0) * add;
    }
    best = Math.max(best, value);
  }
  return best;
}

const smallCase = (maxN: number): fc.Arbitrary<SmallCase> =>
  fc
    .record({
      scores: fc.array(fc.integer({ min: -20, max: 100 }).map((v) => v / 10), { minLength: 1, maxLength: maxN }),
      sectorIds: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: maxN, maxLength: maxN }),
      maxPositions: fc.integer({ min: 1, max: 5 }),
      maxWeight: fc.integer({ min: 5, max: 100 }).map((v) => v / 100),
      minFraction: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ scores, sectorIds, maxPositions, maxWeight, minFraction }) => ({
      scores,
      sectors: sectorIds.slice(0, scores.length),
      maxPositions,
      maxWeight,
      minWeight: Math.round((maxWeight * minFraction) / 100 * 100) / 100,
    }));

describe('base model (javascript-lp-solver)', () => {
  it('matches brute force over subsets on up to 12 candidates', () => {
    fc.assert(
      fc.property(smallCase(12), (c) => {
        const result = optimiseBase(candidatesOf(c), {
          capital: dec('100000'),
          maxPositions: c.maxPositions,
          maxWeight: c.maxWeight,
          minWeight: c.minWeight,
          shares: 'fractional',
        });
        expect(result.report.name).toBe('javascript-lp-solver');
        expect(result.report.objective ?? NaN).toBeCloseTo(bruteForceContinuous(c, undefined), 6);
        expect(result.allocations.length).toBeLessThanOrEqual(c.maxPositions);
      }),
      { seed: 4, numRuns: 60 },
    );
  });

  it('takes the top scores at maxWeight until the budget runs out (hand-computed)', () => {
    const result = optimiseBase(
      [
        { symbol: 'B', score: 2, price: dec('10') },
        { symbol: 'A', score: 3, price: dec('20') },
        { symbol: 'C', score: 1, price: dec('30') },
        { symbol: 'D', score: -1, price: dec('5') },
      ],
      { capital: dec('1000'), maxPositions: 2, maxWeight: 0.4, shares: 'floor' },
    );
    expect(result.allocations.map((a) => [a.symbol, a.weight, a.dollars.toString(), a.shares.toString()])).toEqual([
      ['A', 0.4, '400', '20'],
      ['B', 0.4, '400', '40'],
    ]);
    expect(result.report.objective).toBeCloseTo(2, 12);
    expect(result.dropped).toEqual(['D']);
    expect(result.cash.toString()).toBe('200');
  });

  it('floors shares and reports the spend below the dollar target', () => {
    const result = optimiseBase([{ symbol: 'X', score: 1, price: dec('300') }], { capital: dec('1000'), maxPositions: 1, maxWeight: 1 });
    const [x] = result.allocations;
    expect([x?.dollars.toString(), x?.shares.toString(), x?.cost.toString(), result.cash.toString()]).toEqual(['1000', '3', '900', '100']);
  });

  it('refuses extended settings on the synchronous path', () => {
    expect(() => optimiseBase(candidatesOf({ scores: [1], sectors: ['a'], maxPositions: 1, maxWeight: 1, minWeight: 0 }), { capital: dec('1'), maxPositions: 1, maxWeight: 1, shares: 'lots' })).toThrow(ConfigError);
  });
});

describe('extended model (HiGHS)', () => {
  it('matches brute force with sector caps on up to 10 candidates', async () => {
    await fc.assert(
      fc.asyncProperty(smallCase(10), fc.integer({ min: 10, max: 60 }).map((v) => v / 100), async (c, cap) => {
        const result = await optimiseAllocation(candidatesOf(c), {
          capital: dec('100000'),
          maxPositions: c.maxPositions,
          maxWeight: c.maxWeight,
          minWeight: c.minWeight,
          sectorCap: cap,
          shares: 'fractional',
        });
        expect(result.model).toBe('extended');
        expect(result.report.name).toBe('highs');
        expect(result.report.objective ?? NaN).toBeCloseTo(bruteForceContinuous(c, cap), 5);
      }),
      { seed: 7, numRuns: 25 },
    );
  });

  it('holds a turnover limit against the current weights (hand-computed)', async () => {
    // Current: 50% in A. Moving is limited to 0.4 in total, so the best is to keep A and add 0.4 of B.
    const result = await optimiseAllocation(
      [
        { symbol: 'A', score: 1, price: dec('10') },
        { symbol: 'B', score: 2, price: dec('10') },
      ],
      { capital: dec('1000'), maxPositions: 2, maxWeight: 1, shares: 'fractional', turnover: 0.4, currentWeights: { A: 0.5 } },
    );
    expect(result.allocations.map((a) => [a.symbol, Number(a.weight.toFixed(9))])).toEqual([
      ['A', 0.5],
      ['B', 0.4],
    ]);
    expect(result.report.objective).toBeCloseTo(1.3, 9);
  });

  it('chooses whole-share lots inside the budget, matching a brute force over share grids with sectors and turnover', async () => {
    const prices = ['130', '170', '240', '310', '90'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 50 }).map((v) => v / 10), { minLength: 5, maxLength: 5 }),
        fc.array(fc.constantFrom('a', 'b'), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 30, max: 100 }).map((v) => v / 100),
        fc.integer({ min: 0, max: 10 }).map((v) => v / 100),
        fc.integer({ min: 40, max: 100 }).map((v) => v / 100),
        fc.integer({ min: 20, max: 200 }).map((v) => v / 100),
        async (scores, sectors, maxPositions, maxWeight, minWeight, cap, turnover) => {
          const c: SmallCase = { scores, sectors, maxPositions, maxWeight, minWeight };
          const capital = 1000;
          const current = [0.26, 0, 0.17, 0, 0.27];
          const currentWeights = { S00: 0.26, S02: 0.17, S04: 0.27 };
          const settings: OptimiserSettings = {
            capital: dec(String(capital)),
            maxPositions,
            maxWeight,
            minWeight,
            sectorCap: cap,
            turnover,
            currentWeights,
            shares: 'lots',
          };
          const p = prices.map(Number);
          const most = p.map((price) => Math.floor((maxWeight * capital) / price + 1e-9));
          let best = -1;
          const n = [0, 0, 0, 0, 0];
          const visit = (k: number): void => {
            if (k === 5) {
              const w = n.map((q, i) => (q * (p[i] ?? 0)) / capital);
              if (w.filter((x) => x > 0).length > maxPositions) return;
              if (w.some((x) => x > 0 && x < minWeight - 1e-12)) return;
              if (n.reduce((s, q, i) => s + q * (p[i] ?? 0), 0) > capital) return;
              for (const s of ['a', 'b']) if (w.reduce((t, x, i) => t + (sectors[i] === s ? x : 0), 0) > cap + 1e-12) return;
              if (w.reduce((t, x, i) => t + Math.abs(x - (current[i] ?? 0)), 0) > turnover + 1e-12) return;
              best = Math.max(best, w.reduce((t, x, i) => t + x * (scores[i] ?? 0), 0));
              return;
            }
            for (let q = 0; q <= (most[k] ?? 0); q++) {
              n[k] = q;
              visit(k + 1);
            }
            n[k] = 0;
          };
          visit(0);
          if (best < 0) {
            await expect(optimiseAllocation(candidatesOf(c, prices), settings)).rejects.toThrow(SolverError);
            return;
          }
          const result = await optimiseAllocation(candidatesOf(c, prices), settings);
          expect(result.report.status).toBe('optimal');
          expect(result.report.objective ?? NaN).toBeCloseTo(best, 6);
          const spend = result.allocations.reduce((s, a) => s.plus(a.cost), dec('0'));
          expect(spend.lte(dec('1000'))).toBe(true);
          for (const a of result.allocations) expect(a.shares.isInteger()).toBe(true);
        },
      ),
      { seed: 11, numRuns: 20 },
    );
  });
});

describe('feasibility check', () => {
  const problem = buildProblem(
    [
      { symbol: 'A', score: 1, price: dec('10'), sector: 'x' },
      { symbol: 'B', score: 2, price: dec('20'), sector: 'x' },
      { symbol: 'C', score: 3, price: dec('30'), sector: 'y' },
    ],
    { capital: dec('100'), maxPositions: 2, maxWeight: 0.5, minWeight: 0.1, sectorCap: 0.6, turnover: 0.5, currentWeights: { A: 0.3 }, shares: 'lots' },
  );

  it('accepts a feasible point', () => {
    expect(feasibilityViolations(problem, { weights: [0.3, 0.2, 0], shares: [3, 1, 0] })).toEqual([]);
  });

  it.each([
    ['maxWeight', { weights: [0.6, 0, 0], shares: [6, 0, 0] }, 'maxWeight'],
    ['minWeight', { weights: [0.3, 0.05, 0], shares: [3, 0, 0] }, 'minWeight'],
    ['positions', { weights: [0.1, 0.2, 0.3], shares: [1, 1, 1] }, 'maxPositions'],
    ['sector cap', { weights: [0.3, 0.4, 0], shares: [3, 2, 0] }, 'sector x'],
    ['turnover', { weights: [0, 0, 0.3], shares: [0, 0, 1] }, 'turnover'],
    ['fractional lots', { weights: [0.25, 0, 0], shares: [2.5, 0, 0] }, 'not a whole'],
    ['weights not matching shares', { weights: [0.3, 0, 0], shares: [2, 0, 0] }, 'does not match'],
    ['non-finite weight', { weights: [Number.NaN, 0, 0], shares: [0, 0, 0] }, 'not finite'],
  ])('rejects a point that breaks %s', (_, point, message) => {
    expect(feasibilityViolations(problem, point).join('; ')).toContain(message);
  });

  it('checks the money budget exactly in Decimal', () => {
    const tight = buildProblem([{ symbol: 'A', score: 1, price: dec('0.1') }], { capital: dec('0.3'), maxPositions: 1, maxWeight: 1, shares: 'lots' });
    // 3 × 0.1 is 0.30000000000000004 in binary floating point but exactly the capital in Decimal.
    expect(feasibilityViolations(tight, { weights: [1], shares: [3] })).toEqual([]);
    expect(feasibilityViolations(tight, { weights: [1], shares: [4] }).join()).toContain('spend 0.4 > capital 0.3');
  });
});

describe('fallback', () => {
  const candidates: Candidate[] = [
    { symbol: 'A', score: 1, price: dec('10'), sector: 'x' },
    { symbol: 'B', score: 3, price: dec('10'), sector: 'x' },
    { symbol: 'C', score: 2, price: dec('10'), sector: 'y' },
  ];
  const settings: OptimiserSettings = { capital: dec('1000'), maxPositions: 2, maxWeight: 0.5, sectorCap: 0.6, shares: 'lots' };

  it('falls back to greedy, and says so, when the solver fails', async () => {
    const failing: OptimiserBackend = { name: 'broken', solve: () => ({ kind: 'failed', status: 'error', message: 'forced' }) };
    const result = await optimiseAllocation(candidates, settings, failing);
    expect(result.report).toEqual({ name: 'greedy', status: 'fallback', objective: 0.5 * 3 + 0.5 * 2, gap: null });
    expect(result.fallbackReason).toBe('broken failed (error): forced');
    // Greedy by score: B to maxWeight 0.5, then C to 0.5 (sector y), A has no slot left.
    expect(result.allocations.map((a) => [a.symbol, a.shares.toString()])).toEqual([
      ['B', '50'],
      ['C', '50'],
    ]);
  });

  it('rejects an infeasible point from the solver and falls back', async () => {
    const lying: OptimiserBackend = {
      name: 'liar',
      solve: () => ({ kind: 'solved', status: 'optimal', objective: 6, gap: 0, point: { weights: [1, 1, 1], shares: [100, 100, 100] } }),
    };
    const result = await optimiseAllocation(candidates, settings, lying);
    expect(result.report.status).toBe('fallback');
    expect(result.fallbackReason).toMatch(/^liar \(optimal\) returned an infeasible point: .*maxWeight/);
  });

  it('falls back when HiGHS hits its time limit without a point', async () => {
    const many: Candidate[] = Array.from({ length: 60 }, (_, i) => ({ symbol: `S${String(i).padStart(3, '0')}`, score: 1 + (i % 7), price: dec(String(11 + i)), sector: `s${i % 4}` }));
    const result = await optimiseAllocation(many, { capital: dec('100000'), maxPositions: 10, maxWeight: 0.2, sectorCap: 0.3, shares: 'lots', timeLimitSeconds: 1e-6 });
    expect(result.report.status).toBe('fallback');
    expect(result.fallbackReason).toContain('time_limit');
    const problem = buildProblem(many, { capital: dec('100000'), maxPositions: 10, maxWeight: 0.2, sectorCap: 0.3, shares: 'lots' });
    const greedy = greedyPoint(problem);
    expect(greedy).toBeDefined();
    expect(feasibilityViolations(problem, greedy ?? { weights: [] })).toEqual([]);
  });

  it('raises SolverError when even the fallback has no feasible start', async () => {
    // Selling KO alone (not a candidate) needs turnover 0.5 > 0.2.
    await expect(
      optimiseAllocation(candidates, { ...settings, turnover: 0.2, currentWeights: { KO: 0.5 } }, { name: 'broken', solve: () => ({ kind: 'failed', status: 'error', message: 'forced' }) }),
    ).rejects.toThrow(/no feasible allocation/);
  });
});

describe('determinism and validation', () => {
  it('gives the same answer whatever the input order', async () => {
    const base: Candidate[] = Array.from({ length: 30 }, (_, i) => ({ symbol: `N${String((i * 17) % 30).padStart(2, '0')}`, score: 1 + ((i * 13) % 5), price: dec(String(20 + i)), sector: `s${i % 3}` }));
    const settings: OptimiserSettings = { capital: dec('50000'), maxPositions: 6, maxWeight: 0.25, minWeight: 0.05, sectorCap: 0.4, shares: 'lots' };
    const show = (r: Awaited<ReturnType<typeof optimiseAllocation>>): string => JSON.stringify({ a: r.allocations.map((a) => [a.symbol, a.weight, a.shares.toString()]), r: r.report });
    const first = show(await optimiseAllocation(base, settings));
    expect(show(await optimiseAllocation([...base].reverse(), settings))).toBe(first);
    expect(show(await optimiseAllocation(base, settings))).toBe(first);
  });

  it.each([
    ['duplicate symbol', [{ symbol: 'A', score: 1, price: dec('1') }, { symbol: 'A', score: 2, price: dec('1') }], {}, 'symbol'],
    ['non-positive price', [{ symbol: 'A', score: 1, price: dec('0') }], {}, 'price'],
    ['non-finite score', [{ symbol: 'A', score: Number.NaN, price: dec('1') }], {}, 'score'],
    ['maxWeight above 1', [], { maxWeight: 1.5 }, 'maxWeight'],
    ['minWeight above maxWeight', [], { minWeight: 0.6, maxWeight: 0.5 }, 'minWeight'],
    ['maxPositions 0', [], { maxPositions: 0 }, 'maxPositions'],
    ['turnover without current weights', [], { turnover: 0.3 }, 'turnover'],
    ['turnover above 2', [], { turnover: 3, currentWeights: {} }, 'turnover'],
  ] as const)('rejects %s with a ConfigError naming the field', (_, candidates, overrides, field) => {
    const settings: OptimiserSettings = { capital: dec('100'), maxPositions: 2, maxWeight: 0.5, ...overrides };
    try {
      buildProblem(candidates, settings);
      expect.unreachable('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
    }
  });
});

describe('whole lots at large capital', () => {
  // With billions to invest a share is under a millionth of the capital, a step below HiGHS's tolerances: it answered
  // "optimal" with 70% in cash (1e9) or nothing bought (1e10, 1e12). The best continuous answer here is 0.3 each of
  // NVDA, AAPL, MSFT and 0.1 of JPM: Σ score·w = 0.118.
  const example: Candidate[] = [
    { symbol: 'AAPL', score: 0.12, price: dec('189.50') },
    { symbol: 'MSFT', score: 0.1, price: dec('410.25') },
    { symbol: 'NVDA', score: 0.15, price: dec('880.00') },
    { symbol: 'JPM', score: 0.07, price: dec('195.10') },
    { symbol: 'XOM', score: 0.05, price: dec('118.40') },
  ];

  it.each(['1000000000', '10000000000', '1000000000000'])('capital %s is invested almost fully, never reported optimal with less', async (capital) => {
    const result = await optimiseAllocation(example, { capital: dec(capital), maxPositions: 4, maxWeight: 0.3, shares: 'lots' });
    expect(result.report.objective ?? 0).toBeGreaterThan(0.118 * (1 - 1e-5));
    expect(result.cash.lt(dec(capital).times('0.001'))).toBe(true);
    expect(result.allocations.map((a) => a.symbol).sort()).toEqual(['AAPL', 'JPM', 'MSFT', 'NVDA']);
    if (result.report.name === 'greedy') expect(result.fallbackReason).toMatch(/greedy fill finds/);
  });

  it('a solver answer the greedy fill beats is not taken, whatever status it gives; one it does not beat is', async () => {
    const settings: OptimiserSettings = { capital: dec('1000000'), maxPositions: 4, maxWeight: 0.3, shares: 'lots' };
    const zeros = example.map(() => 0);
    const lazy: OptimiserBackend = { name: 'lazy', solve: () => ({ kind: 'solved', status: 'optimal', objective: 0, gap: 0, point: { weights: zeros, shares: zeros } }) };
    const replaced = await optimiseAllocation(example, settings, lazy);
    expect(replaced.report).toMatchObject({ name: 'greedy', status: 'fallback' });
    expect(replaced.fallbackReason).toMatch(/^lazy \(optimal\) returned objective 0\.00000 where the greedy fill finds 0\.11\d{4}: its answer is not the best$/);
    const kept = await optimiseAllocation(example, settings);
    expect(kept.report.name).toBe('highs');
    expect(kept.fallbackReason).toBeNull();
  });

  it('under a turnover limit with a holding above the weight cap, the answer is checked too (the holding cut to the cap is a start)', async () => {
    for (const capital of ['1000000000', '10000000000']) {
      const settings: OptimiserSettings = { capital: dec(capital), maxPositions: 4, maxWeight: 0.3, turnover: 0.5, currentWeights: { XOM: 0.4, JPM: 0.3 }, shares: 'lots' };
      const greedy = greedyPoint(buildProblem(example, settings));
      expect(greedy, capital).toBeDefined();
      const result = await optimiseAllocation(example, settings);
      expect(result.report.objective ?? 0, capital).toBeGreaterThanOrEqual(objectiveOf(buildProblem(example, settings), greedy?.weights ?? []) - 2e-6);
    }
  });
});
