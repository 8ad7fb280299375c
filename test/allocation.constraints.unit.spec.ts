import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllocationConstraints } from '../src/allocation/index.js';
import { ConfigError } from '../src/errors.js';

const sum = (w: Record<string, number>): number => Object.keys(w).sort().reduce((a, k) => a + (w[k] as number), 0);

describe('AllocationConstraints: hand-computed projections', () => {
  it('clamps and redistributes so the bounds still hold (the reference gives .667/.167/.167, B10)', () => {
    const c = new AllocationConstraints({ defaultMin: 0.1, defaultMax: 0.4 });
    const { weights, binding } = c.apply({ a: 0.8, b: 0.1, c: 0.1 });
    expect(weights.a).toBe(0.4);
    expect(weights.b).toBeCloseTo(0.3, 12);
    expect(weights.c).toBeCloseTo(0.3, 12);
    expect(binding).toEqual(['max(a)=0.4']);
  });

  it('keeps a raw total below 1 (the rest in reserve) and caps the total at maxTotal', () => {
    expect(new AllocationConstraints().apply({ a: 0.2, b: 0.1 }).weights).toEqual({ a: 0.2, b: 0.1 });
    const capped = new AllocationConstraints({ maxTotal: 0.9 }).apply({ a: 0.5, b: 0.5 });
    expect(capped.weights.a).toBeCloseTo(0.45, 12);
    expect(capped.binding).toEqual(['maxTotal=0.9']);
  });

  it('funds at most maxStrategies, the largest raw weights, and redistributes to them', () => {
    const { weights, binding } = new AllocationConstraints({ maxStrategies: 2 }).apply({ a: 0.5, b: 0.3, c: 0.2 });
    expect(weights.a).toBeCloseTo(0.625, 12);
    expect(weights.b).toBeCloseTo(0.375, 12);
    expect(weights.c).toBe(0);
    expect(binding).toContain('maxStrategies=2');
  });

  it('names the max that holds a weight down when the others cannot take what it gives up (the total stays short)', () => {
    // One strategy: raw 0.9, max 0.5. The total cannot reach 0.9, so the max is what binds.
    const one = new AllocationConstraints({ strategyMax: { a: 0.5 } }).apply({ a: 0.9 });
    expect(one.weights).toEqual({ a: 0.5 });
    expect(one.binding).toEqual(['max(a)=0.5']);
    // Raw 1 above maxTotal 0.95, but every weight is capped below it: the maxes bind, maxTotal does not.
    const capped = new AllocationConstraints({ defaultMax: 0.3, maxTotal: 0.95 }).apply({ a: 0.5, b: 0.5 });
    expect(capped.weights).toEqual({ a: 0.3, b: 0.3 });
    expect(capped.binding).toEqual(['max(a)=0.3', 'max(b)=0.3']);
  });

  it('lifts a zero raw weight to its min and names the min as binding', () => {
    const { weights, binding } = new AllocationConstraints({ strategyMin: { b: 0.1 } }).apply({ a: 1, b: 0 });
    expect(weights).toEqual({ a: 0.9, b: 0.1 });
    expect(binding).toEqual(['min(b)=0.1']);
  });

  it('gives every strategy its min when the raw total is zero', () => {
    expect(new AllocationConstraints({ defaultMin: 0.05 }).apply({ a: 0, b: 0 }).weights).toEqual({ a: 0.05, b: 0.05 });
  });

  it.each([
    [{ defaultMin: -0.1 }, 'constraints.defaultMin'],
    [{ defaultMax: 1.2 }, 'constraints.defaultMax'],
    [{ maxTotal: Number.NaN }, 'constraints.maxTotal'],
    [{ defaultMin: 0.5, defaultMax: 0.4 }, 'constraints.defaultMin'],
    [{ strategyMin: { a: 0.5 }, strategyMax: { a: 0.3 } }, 'constraints.strategyMin.a'],
    [{ strategyMin: { a: 0.6, b: 0.5 } }, 'constraints.strategyMin'],
    [{ maxStrategies: 1.5 }, 'constraints.maxStrategies'],
  ])('rejects infeasible or invalid settings %j naming %s', (options, field) => {
    try {
      new AllocationConstraints(options);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
    }
  });

  it('rejects mins that sum above maxTotal for the strategies actually present', () => {
    const c = new AllocationConstraints({ defaultMin: 0.3 });
    expect(c.apply({ a: 1, b: 1, c: 1 }).weights.a).toBeCloseTo(1 / 3, 12);
    expect(() => c.apply({ a: 1, b: 1, c: 1, d: 1 })).toThrow(/mins of the 4 funded strategies sum to 1\.2/);
  });
});

describe('AllocationConstraints: every bound holds for random raw weights and random feasible bounds', () => {
  const scenario = fc
    .integer({ min: 1, max: 12 })
    .chain((n) =>
      fc.record({
        raw: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e-9, noNaN: true })), { minLength: n, maxLength: n }),
        bounds: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
        maxTotal: fc.double({ min: 0.05, max: 1, noNaN: true }),
        minScale: fc.double({ min: 0, max: 1, noNaN: true }),
        maxStrategies: fc.option(fc.integer({ min: 1, max: n }), { nil: undefined }),
      }),
    );

  it('satisfies min ≤ w ≤ max for funded strategies, Σw ≤ maxTotal, cardinality, and spends what it can', () => {
    fc.assert(
      fc.property(scenario, ({ raw, bounds, maxTotal, minScale, maxStrategies }) => {
        const ids = raw.map((_, i) => `s${String(i).padStart(2, '0')}`);
        const strategyMin: Record<string, number> = {};
        const strategyMax: Record<string, number> = {};
        bounds.forEach(([x, y], i) => {
          strategyMin[ids[i] as string] = Math.min(x, y);
          strategyMax[ids[i] as string] = Math.max(x, y);
        });
        // Scale the mins so that their sum fits under maxTotal: a feasible configuration.
        const totalMin = Object.values(strategyMin).reduce((a, b) => a + b, 0);
        const k = totalMin > 0 ? Math.min(1, (maxTotal * minScale) / totalMin) : 1;
        for (const id of ids) strategyMin[id] = (strategyMin[id] as number) * k;
        const c = new AllocationConstraints({ strategyMin, strategyMax, maxTotal, maxStrategies });
        const rawWeights = Object.fromEntries(ids.map((id, i) => [id, raw[i] as number]));
        const { weights } = c.apply(rawWeights);
        const funded = ids.filter((id) => (weights[id] as number) > 0 || (maxStrategies === undefined));
        for (const id of ids) {
          const w = weights[id] as number;
          expect(w).toBeGreaterThanOrEqual(0);
          if (funded.includes(id)) {
            expect(w).toBeGreaterThanOrEqual((strategyMin[id] as number) - 1e-12);
            expect(w).toBeLessThanOrEqual((strategyMax[id] as number) + 1e-12);
          }
        }
        expect(sum(weights)).toBeLessThanOrEqual(maxTotal);
        if (maxStrategies !== undefined) expect(ids.filter((id) => (weights[id] as number) > 0).length).toBeLessThanOrEqual(maxStrategies);
        // The total is the raw total capped at maxTotal, within what the bounds of the funded strategies allow.
        if (maxStrategies === undefined) {
          const lo = ids.reduce((a, id) => a + (strategyMin[id] as number), 0);
          // A strategy with no raw weight cannot absorb redistributed capital beyond its min.
          const largest = Math.max(...raw);
          const hi = ids.reduce((a, id, i) => a + ((raw[i] as number) >= largest * 1e-15 && (raw[i] as number) > 0 ? (strategyMax[id] as number) : (strategyMin[id] as number)), 0);
          const rawTotal = raw.reduce((a, b) => a + b, 0);
          const expected = Math.min(Math.max(Math.min(rawTotal, maxTotal), lo), hi);
          expect(Math.abs(sum(weights) - expected)).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 500, seed: 99 },
    );
  });
});
