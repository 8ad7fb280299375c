// A rebalance while a left-out strategy is worth less than nothing: the others share the portfolio's value, no more.
import { describe, expect, it } from 'vitest';
import { AllocationError } from '../src/errors.js';
import { day, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

// s shorts A for its whole value on the first bar; A rises 150% and s, paused by the drawdown limit, owes more than it
// has (value −25,000 of a portfolio worth 25,000). h holds its 50,000 in cash.
const shorter = scripted('shorter', (ctx) => {
  if (ctx.barIndex === 0) ctx.orderTargetPercent('A', '-1');
});
const idle = scripted('idle');
// Eight bars from Monday 2024-01-01: the weekly schedule rebalances on the next Monday, day 7.
const squeeze = ['100', '250', '250', '250', '250', '250', '250', '250'].map((c, i) => slice(day(i), { A: c }));

describe('rebalance with a paused strategy of negative value', () => {
  it('weighs the others against the whole portfolio value instead of ending the run on a weight above 1', async () => {
    const config = testConfig({
      strategies: [
        { id: 'h', kind: 'idle', allocation: '0.5' },
        { id: 's', kind: 'shorter', allocation: '0.5' },
      ],
      risk: { maxDrawdown: 0.3, drawdownAction: 'pause' },
      rebalancing: { algorithm: 'fixed', params: { allocations: { h: 0.6, s: 0.4 } }, frequency: 'weekly' },
    });
    const events = await runSlices(config, squeeze, { shorter: () => shorter, idle: () => idle });
    const paused = events.find((e) => e.type === 'StrategyLifecycleChanged' && e.data.to === 'paused');
    expect(paused?.metadata.barTime).toBe(day(1));
    const decided = events.flatMap((e) => (e.type === 'RebalanceDecided' && e.metadata.barTime === day(7) ? [e.data] : []));
    expect(decided).toHaveLength(1);
    const d = decided[0];
    expect(d?.portfolioValue).toBe('25000');
    expect(d?.leftOut?.['s']).toMatch(/^paused since/);
    expect(d?.finalWeights).toEqual({ h: 0.6 });
    expect(d?.targets).toEqual({ h: '15000' });
    const marks = events.filter((e) => e.type === 'BarMarked');
    expect(marks).toHaveLength(squeeze.length);
  });
});

// The same short squeezed harder: A rises 300%, s owes 100,000 more than it has and the whole portfolio is worth
// −50,000 (h's 50,000 in cash, s −100,000, nothing in the reserve).
const deeper = ['100', '400', '400', '400', '400', '400', '400', '400'].map((c, i) => slice(day(i), { A: c }));
const squeezed = testConfig({
  strategies: [
    { id: 'h', kind: 'idle', allocation: '0.5' },
    { id: 's', kind: 'shorter', allocation: '0.5' },
  ],
  risk: { maxDrawdown: 0.3, drawdownAction: 'pause' },
  rebalancing: { algorithm: 'fixed', params: { allocations: { h: 0.6, s: 0.4 } }, frequency: 'weekly' },
});

describe('rebalance of a portfolio worth less than nothing', () => {
  it('gives the weighed strategies no share instead of ending the run because the left-out ones keep more than 100%', async () => {
    const events = await runSlices(squeezed, deeper, { shorter: () => shorter, idle: () => idle });
    expect(events.filter((e) => e.type === 'BarMarked')).toHaveLength(deeper.length);
    const decided = events.flatMap((e) => (e.type === 'RebalanceDecided' && e.metadata.barTime === day(7) ? [e.data] : []));
    expect(decided).toHaveLength(1);
    const d = decided[0];
    expect(d?.portfolioValue).toBe('-50000');
    expect(d?.leftOut?.['s']).toMatch(/^paused since/);
    expect(d?.finalWeights).toEqual({ h: 0 });
    expect(d?.targets).toEqual({ h: '0' });
    const moved = events.flatMap((e) => (e.type === 'CapitalTransferred' && e.metadata.barTime === day(7) ? [[e.data.from, e.data.to, e.data.amount]] : []));
    expect(moved).toEqual([['h', 'reserve', '50000']]);
  });

  it('refuses a manual rebalance that would fund a strategy, naming the portfolio value; weights of 0 are accepted', async () => {
    const refusals: string[] = [];
    await runSlices(squeezed, deeper.slice(0, 3), { shorter: () => shorter, idle: () => idle }, (p, i) => {
      if (i !== 2) return;
      try {
        p.rebalance({ h: 0.5 });
      } catch (e) {
        refusals.push(e instanceof AllocationError ? e.message : String(e));
      }
      p.rebalance({ h: 0 });
    });
    expect(refusals).toEqual([
      'New allocations exceed what the portfolio is worth: it is worth -50000, so no strategy can be given a share (weights named: 50.0%, at most 0.0%)',
    ]);
  });

  it('scales a manual rebalance queued before the squeeze down to what is left at its slice instead of ending the run', async () => {
    // Queued at 100 (h 50% of 100,000 is allowed), decided at 400, when the portfolio is worth −50,000.
    const events = await runSlices(squeezed, deeper.slice(0, 3), { shorter: () => shorter, idle: () => idle }, (p, i) => {
      if (i === 1) p.rebalance({ h: 0.5 }, 'before the squeeze');
    });
    expect(events.filter((e) => e.type === 'BarMarked')).toHaveLength(3);
    const decided = events.flatMap((e) => (e.type === 'RebalanceDecided' ? [e.data] : []));
    expect(decided.map((d) => [d.trigger, d.portfolioValue, d.rawWeights, d.finalWeights, d.targets])).toEqual([['manual', '-50000', { h: 0.5 }, { h: 0 }, { h: '0' }]]);
  });
});
