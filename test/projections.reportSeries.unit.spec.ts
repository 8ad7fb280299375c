import { describe, expect, it } from 'vitest';
import { domainEvent, openEventStore } from '../src/index.js';
import { ProjectionRunner, decodeState, encodeState, type Projection } from '../projections/index.js';
import { reportSeriesProjection, type ReportSeriesState } from '../projections/report/index.js';
import { STREAM, T1, T2, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

async function fixtureStore() {
  const store = await openEventStore('memory:');
  await appendBatches(store, fixtureBatches());
  return store;
}

async function lastHash(store: Awaited<ReturnType<typeof fixtureStore>>): Promise<string> {
  let hash = '';
  for await (const e of store.readStream(STREAM)) hash = e.metadata.hash;
  return hash;
}

async function fold(projection: Projection<ReportSeriesState>): Promise<ReportSeriesState> {
  const store = await fixtureStore();
  const runner = new ProjectionRunner(store, { series: projection }, { stream: STREAM, checkpointEvery: 0 });
  return (await runner.run()).states.series;
}

describe('report series projection on the hand-made log', () => {
  it('keeps one entry per mark: times, values, returns net of transfers, exposure', async () => {
    const s = await fold(reportSeriesProjection());
    expect(s.times).toEqual([T1, T2, T3]);
    expect(s.portfolioValues).toEqual([1009, 1058, 1053]);
    expect(s.portfolioReturns[0]).toBeCloseTo(0.009, 14); // 1009 / 1000 − 1
    expect(s.portfolioReturns[2]).toBeCloseTo(1053 / 1058 - 1, 14);
    expect(s.reserve).toEqual([100, 100, 108]);
    const a = s.strategies.get('a');
    expect(a?.values).toEqual([609, 648, 600]);
    expect(a?.returns[0]).toBeCloseTo(0.015, 14);
    expect(a?.returns[2]).toBeCloseTo(0, 14); // (600 + 48) / 648 − 1: the transfer out is not a loss
    expect(a?.exposure).toEqual([510, 0, 0]); // 609 − 99, then flat
    expect(s.strategies.get('b')?.returns[2]).toBeCloseTo(-1 / 62, 14); // (345 − 40) / 310 − 1
    expect(s.strategies.get('b')?.exposure).toEqual([-100, -90, -95]);
  });

  it('totals commissions, traded value and the P&L of the last slice net of transfers', async () => {
    const s = await fold(reportSeriesProjection());
    const a = s.totals.get('a');
    expect(a?.commissions.toString()).toBe('2');
    expect(a?.tradedValue.toString()).toBe('1050'); // 10 × 50 + 10 × 55
    expect(a?.fills).toBe(2);
    expect(a?.lastSlicePnl?.toString()).toBe('0'); // 600 − (648 − 48)
    expect(s.totals.get('b')?.lastSlicePnl?.toString()).toBe('-5'); // 345 − (310 + 40)
    expect(s.rebalances).toEqual([{ rebalanceId: 'r1', barTime: T3, barIndex: 2, trigger: 'schedule' }]);
    expect(s.headRevision).toBe(15); // 16 events
    expect(s.opened?.configHash).toBe('h');
  });

  it('remembers each strategy’s last fault', async () => {
    const store = await fixtureStore();
    const fault = domainEvent('StrategyFaulted', { strategyId: 'b', phase: 'onBar', error: 'boom', action: 'paused' });
    const after = await appendBatches(store, [[{ event: fault, barTime: T3 }]], { portfolioId: 'p1', nextRevision: 16, prevHash: (await lastHash(store)) });
    expect(after.nextRevision).toBe(17);
    const runner = new ProjectionRunner(store, { series: reportSeriesProjection() }, { stream: STREAM, checkpointEvery: 0 });
    const s = (await runner.run()).states.series;
    expect(s.totals.get('b')?.lastFault).toEqual({ barTime: T3, phase: 'onBar', error: 'boom', action: 'paused' });
    expect(s.totals.get('a')?.lastFault).toBeNull();
  });

  it('follows a benchmark symbol’s last mark at every bar', async () => {
    const s = await fold(reportSeriesProjection({ benchmark: 'X' }));
    expect(s.benchmark).toEqual({ symbol: 'X', marks: [51, 55, 55] }); // T3 has no X mark: the last one holds
  });

  it('folds the same in place and event by event, and survives a checkpoint round trip', async () => {
    const p = reportSeriesProjection({ benchmark: 'Y' });
    const inPlace = await fold(p);
    const store = await fixtureStore();
    let byEvent = p.init();
    for await (const e of store.readStream(STREAM)) byEvent = p.evolve(byEvent, e);
    expect(encodeState(byEvent)).toEqual(encodeState(inPlace));
    expect(encodeState(decodeState(encodeState(inPlace)))).toEqual(encodeState(inPlace));
    // A run that stops part-way saves a checkpoint; a later run resumes from it and ends where one pass ends.
    const shared = await fixtureStore();
    await new ProjectionRunner(shared, { series: p }, { stream: STREAM }).run({ asOf: { kind: 'position', position: 8 } });
    const resumed = await new ProjectionRunner(shared, { series: p }, { stream: STREAM }).run();
    expect(resumed.resumed).toEqual(['series']);
    expect(encodeState(resumed.states.series)).toEqual(encodeState(inPlace));
  });
});
