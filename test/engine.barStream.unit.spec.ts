// Bar streams: an Observable for RxJS users, pulled one slice at a time by the supervisor so nothing is read ahead.
import { describe, expect, it } from 'vitest';
import { firstValueFrom, from, toArray } from 'rxjs';
import { Portfolio } from '../actors/portfolio.js';
import { barStream } from '../actors/barStream.js';
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

  it('are pulled by the portfolio one slice at a time: at most one slice is read past the last durable one (run decides it while the other is appended)', async () => {
    const store = await openEventStore('memory:');
    const portfolio = await Portfolio.open({ store, config: testConfig({ strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }] }) });
    const src = counted(20);
    const aheadAtEachSlice: number[] = [];
    let processed = 0;
    await portfolio.run(barStream(src.open), () => {
      processed += 1;
      aheadAtEachSlice.push(src.produced() - processed);
    });
    expect(processed).toBe(20);
    expect(Math.max(...aheadAtEachSlice)).toBeLessThanOrEqual(1);
    // A plain Observable still runs, slices in order, each appended after the one before it.
    const more = await portfolio.run(from([slice(day(20), { AAA: '30' }), slice(day(21), { AAA: '31' })]));
    expect(more).toBe(2);
    expect(portfolio.status().lastBarTime).toBe(day(21));
    portfolio.close();
    await store.close();
  });
});
