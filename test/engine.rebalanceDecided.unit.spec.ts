// What a rebalance records: trigger, algorithm and parameters, inputs, raw and final weights, binding constraints,
// solver report, targets — and the transfers that follow it move each strategy exactly to its target.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { RESERVE } from '../events/catalogue.js';
import { Dec, dec } from '../src/money/decimal.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, ofType, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

/**
 * Runs three strategies from 2024-01-29 into February under `rebalancing`. With `invest`, strategy i buys
 * 1,000 × (i + 1) units of AAA on the first bar and AAA rises 1 a day, so their mean returns differ; without it they hold cash.
 */
async function run(rebalancing: PortfolioConfigInput['rebalancing'], invest = false) {
  const store = await openEventStore('memory:');
  const ids = ['a', 'b', 'c'];
  const config = testConfig({ strategies: ids.map((id) => ({ id, kind: `k-${id}`, allocation: '0.3' })), rebalancing });
  const kinds = Object.fromEntries(
    ids.map((id, i) => [`k-${id}`, () => scripted(id, (ctx) => (invest && ctx.barIndex === 0 ? ctx.order('AAA', String(1000 * (i + 1))) : undefined))]),
  );
  const portfolio = await Portfolio.open({ store, config, kinds });
  for (let i = 28; i <= 33; i += 1) await portfolio.processSlice(slice(day(i), { AAA: invest ? String(i - 18) : '10' })); // Jan 29 … Feb 3
  const events = await readAllEvents(store);
  portfolio.close();
  await store.close();
  return events;
}

describe('RebalanceDecided', () => {
  it('records a scheduled fixed-weight rebalance with its constraints, and its transfers reach the targets exactly', async () => {
    const events = await run({
      algorithm: 'fixed',
      params: { allocations: { a: 0.5, b: 0.3, c: 0.2 } },
      constraints: { defaultMax: 0.4 },
      frequency: 'monthly',
    });
    const decided = ofType(events, 'RebalanceDecided');
    expect(decided).toHaveLength(1); // the configured allocation counts for January; February's first slice fires
    const d = decided[0]!;
    expect(d.metadata.barTime).toBe(day(31)); // 2024-02-01
    expect(d.data).toMatchObject({ rebalanceId: 'r1', trigger: 'schedule', algorithm: 'fixed', parameters: { allocations: { a: 0.5, b: 0.3, c: 0.2 } } });
    expect(d.data.rawWeights).toEqual({ a: 0.5, b: 0.3, c: 0.2 });
    // a is capped at 0.4; its excess 0.1 goes to b and c in proportion to their raw weights (0.6 : 0.4).
    expect(d.data.finalWeights.a).toBeCloseTo(0.4, 12);
    expect(d.data.finalWeights.b).toBeCloseTo(0.36, 12);
    expect(d.data.finalWeights.c).toBeCloseTo(0.24, 12);
    expect(d.data.bindingConstraints).toContain('max(a)=0.4');
    expect(d.data.solver).toBeNull();
    // Cash-only strategies of 30,000 each plus a 10,000 reserve: before, each holds 30%.
    expect(d.data.portfolioValue).toBe('100000');
    expect(d.data.weightsBefore).toEqual({ a: 0.3, b: 0.3, c: 0.3 });
    for (const id of ['a', 'b', 'c']) expect(d.data.inputs[id]).toMatchObject({ value: '30000' });
    const cents = (w: number): string => new Dec(String(w)).times(100000).toDecimalPlaces(2, Dec.ROUND_DOWN).toString();
    expect(d.data.targets).toEqual({ a: cents(d.data.finalWeights.a!), b: cents(d.data.finalWeights.b!), c: cents(d.data.finalWeights.c!) });

    const transfers = ofType(events, 'CapitalTransferred').filter((t) => t.data.rebalanceId === 'r1');
    const moved = new Map<string, Dec>();
    for (const t of transfers) {
      moved.set(t.data.from, (moved.get(t.data.from) ?? dec(0)).minus(t.data.amount));
      moved.set(t.data.to, (moved.get(t.data.to) ?? dec(0)).plus(t.data.amount));
      expect(t.metadata.barTime).toBe(day(31));
    }
    const mark = ofType(events, 'BarMarked').find((m) => m.metadata.barTime === day(31))!;
    // Cash-only strategies: each ends the rebalance exactly at its target, and the reserve holds what they gave back.
    for (const id of ['a', 'b', 'c']) expect(mark.data.strategyValues[id]).toBe(d.data.targets[id]);
    expect(mark.data.reserve).toBe(dec('10000').plus(moved.get(RESERVE) ?? 0).toString());
  });

  it('records the solver report of the mixed-integer allocation and the cap on funded strategies', async () => {
    const events = await run({ algorithm: 'mip', params: { score: 'meanReturn', maxStrategies: 2, maxWeight: 0.45 }, frequency: 'monthly', minHistory: 0 }, true);
    const d = ofType(events, 'RebalanceDecided')[0]!;
    expect(d.data.algorithm).toBe('mip');
    expect(d.data.solver).toMatchObject({ status: 'optimal' });
    expect(d.data.solver?.objective).toBeGreaterThan(0);
    // c holds the most AAA, so it has the highest mean return, then b: the two funded, each at the cap.
    expect(d.data.finalWeights.a).toBe(0);
    expect(d.data.finalWeights.b).toBeCloseTo(0.45, 12);
    expect(d.data.finalWeights.c).toBeCloseTo(0.45, 12);
    expect(d.data.inputs.c).toMatchObject({ value: expect.any(String) });
  });
});
