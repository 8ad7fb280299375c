// Recovery at every point of a run full of in-flight state (next-open orders, a pause, an API-added strategy, a manual
// rebalance, a fault, a liquidating removal, a symbol missing): stop after slice k, reopen, finish = one uninterrupted run.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { EventStore } from '../events/store.js';
import type { Strategy } from '../src/strategy/strategy.js';
import { day, ofType, planned, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const a = planned('a', { 0: { AAA: '100' }, 3: { BBB: '20' } });
const b = scripted('b', (ctx) => {
  if (ctx.barIndex === 1) ctx.order('AAA', '-30');
  if (ctx.barIndex === 2) ctx.order('BBB', '50');
  if (ctx.barIndex === 3) throw new Error('b fails');
});
const c = scripted('c', (ctx) => ctx.order('AAA', '10'));
// Orders BBB at every bar, also when it has no bar (rejected then).
const d: Strategy = scripted('d', (ctx) => ctx.order('BBB', '5'));

const config = testConfig({
  strategies: [
    { id: 'a', kind: 'k-a', allocation: '0.4' },
    { id: 'b', kind: 'k-b', allocation: '0.3' },
    { id: 'c', kind: 'k-c', allocation: '0.2' },
  ],
  execution: { fillAt: 'next-open', commission: { kind: 'per-share', perShare: '0.01', minimum: '1' }, slippageBps: '5' },
  risk: { maxDrawdown: 0.5 },
});
const kinds = { 'k-a': () => a, 'k-b': () => b, 'k-c': () => c };

const AAA = ['100', '102', '99', '97', '101', '104', '90', '95', '96', '98'];
const BBB = ['50', '51', '52', '50', null, '49', '48', '52', '53', '55'];
const slices = AAA.map((close, i) => {
  const closes: Record<string, string> = { AAA: close };
  const opens: Record<string, string> = { AAA: (Number(close) - 0.5).toFixed(2) };
  const bbb = BBB[i];
  if (bbb) {
    closes.BBB = bbb;
    opens.BBB = (Number(bbb) + 0.25).toFixed(2);
  }
  return slice(day(i), closes, opens);
});

/** Commands issued before slice i (the same in every run). */
function commandsBefore(p: Portfolio, i: number): void {
  if (i === 2) p.pauseStrategy('c');
  if (i === 3) p.addStrategy('d', d, '0.05');
  if (i === 4) p.rebalance({ a: 0.3 }, 'trim a');
  if (i === 5) {
    p.resumeStrategy('c');
    p.removeStrategy('b', { liquidate: true });
  }
}

async function runFrom(store: EventStore, first: number, last: number): Promise<void> {
  const p = await Portfolio.open({ store, config, kinds, strategies: { d } });
  for (let i = first; i < last; i += 1) {
    commandsBefore(p, i);
    await p.processSlice(slices[i]!);
  }
  p.close();
}

describe('recovery with state in flight', async () => {
  const reference = await openEventStore('memory:');
  await runFrom(reference, 0, slices.length);
  const expected = (await readAllEvents(reference)).map((e) => JSON.stringify(e));

  it('the uninterrupted run exercises what it claims to', async () => {
    const events = await readAllEvents(reference);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['OrderRejected', 'OrdersNetted', 'RebalanceDecided', 'StrategyFaulted', 'StrategyRemoved'] as const) expect(types.has(t), t).toBe(true);
    expect(ofType(events, 'StrategyAdded').map((e) => e.data.strategyId)).toEqual(['a', 'b', 'c', 'd']);
    const removed = ofType(events, 'StrategyRemoved')[0]?.data;
    const returned = ofType(events, 'CapitalTransferred').find((e) => e.data.from === 'b' && e.data.reason === 'strategy removed')?.data.amount;
    expect(removed?.strategyId).toBe('b');
    expect(removed?.capitalReturned).toBe(returned);
    expect(ofType(events, 'OrderRejected').map((e) => [e.metadata.barTime, e.data.strategyId, e.data.symbol, e.data.reason])).toEqual([
      [day(2), 'c', 'AAA', 'cancelled at the open: the strategy is paused'],
      [day(4), 'a', 'BBB', `expired: BBB has no bar at the open of ${day(4)}, where this order was to fill`],
      [day(4), 'd', 'BBB', `expired: BBB has no bar at the open of ${day(4)}, where this order was to fill`],
      [day(4), 'd', 'BBB', 'BBB has no bar in this slice, so it is not tradable'],
    ]);
    expect(ofType(events, 'FillRecorded').filter((e) => e.data.strategyId === 'a' && e.data.symbol === 'BBB')).toEqual([]);
  });

  for (let k = 1; k < slices.length; k += 1) {
    it(`stopping after slice ${k - 1} and reopening gives the same log`, async () => {
      const store = await openEventStore('memory:');
      await runFrom(store, 0, k);
      await runFrom(store, k, slices.length);
      expect((await readAllEvents(store)).map((e) => JSON.stringify(e))).toEqual(expected);
      await store.close();
    });
  }
});
