// The run summary says plainly when the risk rules did not bound a portfolio's losses, and says nothing when they did.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { incidentLines, runStatistics, summarise } from '../src/cli/runSummary.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

// A symbol that falls 80% over eight bars; the strategy puts 90% of its value in it at once.
const falling = ['100', '90', '75', '60', '45', '35', '28', '22', '20'].map((c, i) => slice(day(i), { A: c }));
const holder = scripted('holder', (ctx) => {
  if (ctx.expectedQuantity('A').isZero()) ctx.orderTargetPercent('A', '0.9');
});

// The same fall that stops one bar after the limit breaks: 75 → 74 is the bar the liquidation sells on.
const levelling = ['100', '90', '75', '74', '74'].map((c, i) => slice(day(i), { A: c }));

async function breaches(risk: PortfolioConfigInput['risk'], bars = falling): Promise<readonly string[]> {
  const store = await openEventStore('memory:');
  const portfolio = await Portfolio.open({ store, config: testConfig({ strategies: [{ id: 's', kind: 'holder', allocation: '1' }], risk }), kinds: { holder: () => holder } });
  for (const s of bars) await portfolio.processSlice(s);
  const summary = summarise(portfolio, { slices: bars.length, firstBarTime: day(0) }, 'h', await runStatistics(store, 'p1', {}));
  portfolio.close();
  await store.close();
  return summary.riskBreaches;
}

describe('riskBreaches in the run summary', () => {
  it('names a paused strategy whose loss ran far past the drawdown limit', async () => {
    const found = await breaches({ maxDrawdown: 0.2, drawdownAction: 'pause' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^s: drawdown reached -7\d\.\d\d%, beyond the limit of 20\.00% \(drawdownAction pause keeps the positions of a paused strategy\)$/);
  });

  it('is empty when liquidation held the loss near the limit', async () => {
    expect(await breaches({ maxDrawdown: 0.2, drawdownAction: 'liquidate' }, levelling)).toEqual([]);
  });

  it('counts the loss of the bar the liquidation sells on: 90% of the value in A from 100 to 60 is −36%', async () => {
    // Liquidating at the mark of 75 (−22.50%), it sells at the next close, 60: 0.1 + 0.9 × 0.6 = 0.64 of its peak.
    expect(await breaches({ maxDrawdown: 0.2, drawdownAction: 'liquidate' })).toEqual([
      's: drawdown reached -36.00%, beyond the limit of 20.00% (its liquidation came too late)',
    ]);
  });
});

describe('liquidations in the run summary', () => {
  async function statistics(risk: PortfolioConfigInput['risk']) {
    const store = await openEventStore('memory:');
    const portfolio = await Portfolio.open({ store, config: testConfig({ strategies: [{ id: 's', kind: 'holder', allocation: '1' }], risk }), kinds: { holder: () => holder } });
    for (const s of levelling) await portfolio.processSlice(s);
    const st = await runStatistics(store, 'p1', {});
    portfolio.close();
    await store.close();
    return st;
  }

  it('names a strategy the drawdown limit sold out, with when and why, in the JSON and the text', async () => {
    const st = await statistics({ maxDrawdown: 0.2, drawdownAction: 'liquidate' });
    expect(st.liquidations).toEqual([expect.objectContaining({ kind: 'liquidation', strategyId: 's', barTime: day(2) })]);
    expect(st.liquidations[0]?.message).toMatch(/drawdown -2\d\.\d\d% beyond the limit of 20\.00%/);
    expect(incidentLines(st).join('\n')).toContain(`liquidated 1\n  s at ${day(2)}: `);
  });

  it('lists none when the limit pauses instead', async () => {
    const st = await statistics({ maxDrawdown: 0.2, drawdownAction: 'pause' });
    expect(st.liquidations).toEqual([]);
    expect(incidentLines(st).join('\n')).not.toContain('liquidated');
  });
});

describe('riskBreaches after a bar that lost more than the whole value', () => {
  // Shorts A for its whole value; A rises 90% (−90%, past the limit: paused), then to 300, which costs more than is left.
  const shorter = scripted('shorter', (ctx) => {
    if (ctx.barIndex === 0) ctx.orderTargetPercent('A', '-1');
  });
  const squeeze = ['100', '190', '300', '300'].map((c, i) => slice(day(i), { A: c }));

  it('says the value went below zero, not a drawdown figure that skips that bar', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 's', kind: 'shorter', allocation: '1' }], risk: { maxDrawdown: 0.2, drawdownAction: 'pause' } });
    const portfolio = await Portfolio.open({ store, config, kinds: { shorter: () => shorter } });
    for (const s of squeeze) await portfolio.processSlice(s);
    const summary = summarise(portfolio, { slices: squeeze.length, firstBarTime: day(0) }, 'h', await runStatistics(store, 'p1', {}));
    portfolio.close();
    await store.close();
    expect(summary.riskBreaches.filter((b) => b.includes('drawdown reached'))).toEqual([]);
    expect(summary.riskBreaches[0]).toBe('s: a bar lost more than its whole value (the value went below zero), beyond the limit of 20.00% (drawdownAction pause keeps the positions of a paused strategy)');
  });
});
