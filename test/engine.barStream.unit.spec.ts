// Bar streams: an Observable for RxJS users, pulled one slice at a time by the supervisor, never further ahead of the log than the pipeline's bound.
import { describe, expect, it } from 'vitest';
import { firstValueFrom, from, toArray } from 'rxjs';
import { batchClock } from '../src/feeds/wallClock.js';
import { Portfolio } from '../actors/portfolio.js';
import { barStream } from '../actors/barStream.js';
import { MAX_DECIDED_AHEAD } from '../actors/supervisorMachine.js';
import { openEventStore } from '../events/openEventStore.js';
import type { BarSlice } from '../src/market/bar.js';
import { day, slice, testConfig } from './fixtures/engine/engineFixtures.js';

function counted(n: number): { open: () => AsyncIterable<BarSlice>; produced: () => number } {
  let produced = 0;
  return {
    produced: () => produced,
    open: () =>
      (async function* () {
        for (let i = 0; i < n; i += 1) {
          produced += 1;
          yield slice(day(i), { AAA: String(10 + i) });
        }
      })(),
  };
}

describe('bar streams', () => {
  it('push every slice, in order, to an RxJS subscriber', async () => {
    const src = counted(5);
    const times = await firstValueFrom(barStream(src.open).pipe(toArray()));
    expect(times.map((s) => s.time)).toEqual([0, 1, 2, 3, 4].map(day));
  });

  // Without a batch clock (a library caller's default) the run decides slice by slice, still ahead of the commits.
  it.each([
    ['with the clock a backtest hands the engine (decided in batches)', true],
    ['without a batch clock (decided slice by slice)', false],
  ])('are pulled by the portfolio one slice at a time, %s: at most MAX_DECIDED_AHEAD slices are read past the last durable one (run decides them while the others commit)', async (_label, batched) => {
    const store = await openEventStore('memory:');
    // Commits that take a while and complete off the engine thread, as on a writer thread: a source not held back would
    // be read to its end before the first is durable.
    const appendMany = store.appendMany.bind(store);
    Object.assign(store, {
      offThreadAppends: true,
      appendMany: async (writes: Parameters<typeof appendMany>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return appendMany(writes);
      },
    });
    const portfolio = await Portfolio.open({ store, config: testConfig({ strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }] }), ...(batched ? { batchClock } : {}) });
    const n = MAX_DECIDED_AHEAD * 3;
    const src = counted(n);
    const aheadAtEachSlice: number[] = [];
    let processed = 0;
    await portfolio.run(barStream(src.open), () => {
      processed += 1;
      aheadAtEachSlice.push(src.produced() - processed);
    });
    expect(processed).toBe(n);
    // Decided ahead of the log (read, not yet reported): the bound, reached while commits lag behind.
    expect(Math.max(...aheadAtEachSlice)).toBeLessThanOrEqual(MAX_DECIDED_AHEAD);
    expect(Math.max(...aheadAtEachSlice)).toBeGreaterThan(1);
    // A plain Observable still runs, slices in order, each appended after the one before it.
    const more = await portfolio.run(from([slice(day(n), { AAA: '30' }), slice(day(n + 1), { AAA: '31' })]));
    expect(more).toBe(2);
    expect(portfolio.status().lastBarTime).toBe(day(n + 1));
    portfolio.close();
    await store.close();
  });

  it('on a store whose appends complete within the call, are read one ahead at most: each slice is reported before the next is decided', async () => {
    const store = await openEventStore('memory:');
    const portfolio = await Portfolio.open({ store, config: testConfig({ strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }] }) });
    const src = counted(50);
    const aheadAtEachSlice: number[] = [];
    let processed = 0;
    await portfolio.run(barStream(src.open), () => {
      processed += 1;
      aheadAtEachSlice.push(src.produced() - processed);
    });
    expect(processed).toBe(50);
    expect(Math.max(...aheadAtEachSlice)).toBeLessThanOrEqual(1);
    portfolio.close();
    await store.close();
  });
});
