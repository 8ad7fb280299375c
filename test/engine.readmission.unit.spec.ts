// A strategy an allocator emptied is funded again once it has held nothing for a statistics window, then warms up.
import { describe, expect, it } from 'vitest';
import { Portfolio, SNAPSHOT_COLLECTION } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { day, ofType, readAllEvents, runSlices, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';
import { rebalanceAuditProjection, type RebalanceAuditState } from '../projections/rebalanceAudit.js';
import { rebalanceLines } from '../src/cli/commands/audit.js';

// L falls about 1% a bar and W rises about 1% a bar, each with a ±0.5% zigzag so that both have a volatility.
const bars = Array.from({ length: 40 }, (_, i) => {
  const zigzag = 1 + 0.005 * (i % 2 === 0 ? 1 : -1);
  return slice(day(i), { L: (100 * 0.99 ** i * zigzag).toFixed(4), W: (100 * 1.01 ** i * zigzag).toFixed(4) });
});
const holder = (symbol: string) =>
  scripted(`holds ${symbol}`, (ctx) => {
    if (ctx.expectedQuantity(symbol).isZero()) ctx.orderTargetPercent(symbol, '0.9');
  });
const kinds = { loser: () => holder('L'), winner: () => holder('W') };
/** The loser and the winner at 50% each under mip, with a 5-bar statistics window and 3 returns of warm-up. */
const mipConfig = (extra: Partial<PortfolioConfigInput> = {}) =>
  testConfig({
    capital: '100000',
    strategies: [
      { id: 'loser', kind: 'loser', allocation: '0.5' },
      { id: 'winner', kind: 'winner', allocation: '0.5' },
    ],
    lookback: 5,
    rebalancing: { algorithm: 'mip', params: {}, frequency: 'daily', minHistory: 3 },
    ...extra,
  });

describe('an emptied sleeve is re-admitted', () => {
  it('mip empties the loser; after `lookback` bars holding nothing it restarts at its configured allocation and warms up', async () => {
    const config = mipConfig();
    const events = await runSlices(config, bars, kinds);
    const decided = ofType(events, 'RebalanceDecided');
    const at = (i: number) => decided.find((r) => r.metadata.barTime === day(i));
    const loserValue = (i: number) => ofType(events, 'BarMarked').find((m) => m.metadata.barTime === day(i))?.data.strategyValues['loser'];
    // Day 3: both have 3 returns; the loser's Sharpe is negative, so mip gives it nothing and it is emptied.
    expect(at(3)?.data.finalWeights).toEqual({ loser: 0, winner: 1 });
    for (const i of [3, 4, 5, 6, 7]) expect(loserValue(i)).toBe('0');
    // Day 8: 5 marks (days 3–7) valued it at zero, a whole lookback: it restarts at its configured 50%.
    expect(at(8)?.data.readmitted).toEqual({ loser: `held nothing since ${day(3)} (5 bars): restarts at its configured 50.00%` });
    expect(at(8)?.data.finalWeights).toEqual({ loser: 0.5, winner: 0.5 });
    const funding = ofType(events, 'CapitalTransferred').filter((e) => e.data.rebalanceId === at(8)?.data.rebalanceId && e.data.to === 'loser');
    expect(funding).toHaveLength(1);
    expect(loserValue(8)).toBe(funding[0]?.data.amount);
    // Its window restarted empty: it warms up (minHistory 3) with what it holds before mip weighs it again.
    expect([9, 10, 11].map((i) => at(i)?.data.leftOut?.['loser'])).toEqual(['warm-up: 0 of 3 returns', 'warm-up: 1 of 3 returns', 'warm-up: 2 of 3 returns']);
    expect(Object.keys(at(12)?.data.rawWeights ?? {}).sort()).toEqual(['loser', 'winner']);
    // Still losing, it is emptied again, and re-admitted again a lookback later: the rule repeats, and is recorded each time.
    expect(at(12)?.data.finalWeights['loser']).toBe(0);
    expect(Object.keys(at(17)?.data.readmitted ?? {})).toEqual(['loser']);
    expect(decided.filter((r) => r.data.readmitted !== undefined).map((r) => r.metadata.barTime)).toEqual([day(8), day(17), day(26), day(35)]);
  });
});

describe('the empty spell survives a restart', () => {
  it('a run stopped while the loser is empty and reopened from its snapshot writes the events of one uninterrupted run', async () => {
    const config = mipConfig({ snapshotEvery: 3 });
    const whole = await openEventStore('memory:');
    const uninterrupted = await Portfolio.open({ store: whole, config, kinds });
    for (const s of bars) await uninterrupted.processSlice(s);
    uninterrupted.close();
    const expected = (await readAllEvents(whole)).map((e) => e.metadata.hash);

    const store = await openEventStore('memory:');
    const first = await Portfolio.open({ store, config, kinds });
    // The loser is emptied on day 3; the snapshot after slice 6 holds its empty spell, re-admission comes on day 8.
    for (const s of bars.slice(0, 7)) await first.processSlice(s);
    const state = first.kernel.toSnapshot();
    expect(state.strategies.find((s) => s.id === 'loser')?.emptySince).toEqual({ sinceBar: 3, sinceTime: day(3) });
    first.close();
    const snapshot = await store.documents.get(SNAPSHOT_COLLECTION, 'portfolio-p1');
    // The kernel state is stored as JSON text inside the sealed document.
    expect(snapshot).toMatch(/\\"emptySince\\":\{\\"sinceBar\\":3,/);
    const restored = await Portfolio.open({ store, config, kinds });
    expect(restored.kernel.toSnapshot()).toEqual(state);
    for (const s of bars.slice(7)) await restored.processSlice(s);
    restored.close();
    expect((await readAllEvents(store)).map((e) => e.metadata.hash)).toEqual(expected);
    await store.close();
    await whole.close();
  });
});

describe('audit --rebalance shows it', () => {
  it('names the re-admitted strategy and why, and the strategies left out while they warm up', async () => {
    const events = await runSlices(mipConfig(), bars, kinds);
    const audit = rebalanceAuditProjection({ keep: 0 });
    const state = events.reduce<RebalanceAuditState>((s, e) => audit.evolve(s, e), audit.init());
    const at = (i: number) => state.rebalances.find((r) => r.barTime === day(i));
    // The text as read, whatever the line wrapping.
    const text = (i: number) => rebalanceLines(at(i) ?? expect.unreachable(`a rebalance on day ${i}`)).join('\n').replace(/\s+/g, ' ');
    const readmitting = text(8);
    expect(readmitting).toContain(`re-admitted loser: held nothing since ${day(3)} (5 bars): restarts at its configured 50.00%`);
    const warming = text(9);
    expect(warming).toContain('left out of the weighing loser: warm-up: 0 of 3 returns');
    expect(warming).not.toContain('re-admitted');
  });
});
