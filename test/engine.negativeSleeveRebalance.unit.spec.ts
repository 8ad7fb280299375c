// A rebalance while a left-out strategy is worth less than nothing: the others share the portfolio's value, no more.
import { describe, expect, it } from 'vitest';
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
