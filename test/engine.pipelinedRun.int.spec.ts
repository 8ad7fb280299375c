// `run` decides slice N+1 while slice N is appended (on the store's writer thread): what a user relies on is that
// nothing is reported before it is durable, that the log is the one a slice-at-a-time run writes, and that a failed
// append halts the portfolio with the log ending at the last durable slice, from which a reopen continues.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { createMemoryEventStore, openEventStore } from '../events/openEventStore.js';
import { FeedRecorder, feedStream } from '../events/feedRecord.js';
import { DataError } from '../src/errors.js';
import { portfolioStream } from '../events/envelope.js';
import type { EventStore } from '../events/store.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import type { BarSlice } from '../src/market/bar.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { batchClock } from '../src/feeds/wallClock.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-pipelined-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const config = parsePortfolioConfig({
  id: 'pipe',
  name: 'pipelined',
  capital: '1000000',
  snapshotEvery: 7,
  strategies: Array.from({ length: 6 }, (_, i) => ({
    id: `m${i}`,
    kind: 'momentum',
    allocation: '0.15',
    params: { lookback: 5 + i, topN: 2, rebalanceEvery: 3 },
  })),
  execution: { fillAt: 'close', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
});
const slices = [...syntheticSlices({ seed: 7, symbols: 6, bars: 60 })];

async function* source(from = 0): AsyncGenerator<BarSlice> {
  for (const s of slices.slice(from)) yield s;
}

async function bodies(store: EventStore): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.readStream(portfolioStream('pipe'))) out.push(`${e.metadata.revision} ${e.metadata.hash}`);
  return out;
}

describe('run on a store whose appends complete within the call', () => {
  it('reports each slice before it decides the next, snapshots included: a command given in onSlice applies at the next slice', async () => {
    for (const url of ['memory:', `sqlite:${join(scratch, 'inthread.db')}`]) {
      const store = await openEventStore(url, { durability: 'normal' });
      expect(store.offThreadAppends ?? false).toBe(false);
      const portfolio = await Portfolio.open({ store, config });
      const order: string[] = [];
      let reported = 0;
      // Every 7th slice saves a recovery snapshot before it is reported (config snapshotEvery: 7).
      await portfolio.run(source(), (r) => {
        reported += 1;
        order.push(`${r.time} reported`);
        if (reported === 10) portfolio.pauseStrategy('m1', 'paused from onSlice');
      });
      const paused = [];
      for await (const e of store.readStream(portfolioStream('pipe'))) {
        if (e.type === 'StrategyLifecycleChanged' && (e.data as { to?: string }).to === 'paused') paused.push(e.metadata.barTime);
      }
      expect(paused, url).toEqual([slices[10]?.time]);
      expect(order, url).toEqual(slices.map((x) => `${x.time} reported`));
      portfolio.close();
      await store.close();
    }
  });
});

describe('run, pipelined over a writer thread', () => {
  it('reports each slice only once its events are in the store, and writes the log a slice-at-a-time run writes', async () => {
    const oneByOne = await openEventStore(`sqlite:${join(scratch, 'one.db')}`, { durability: 'normal' });
    const p1 = await Portfolio.open({ store: oneByOne, config });
    for (const s of slices) await p1.processSlice(s);
    p1.close();

    const piped = await openEventStore(`sqlite:${join(scratch, 'piped.db')}`, { durability: 'normal', writerThread: true });
    const p2 = await Portfolio.open({ store: piped, config, batchClock });
    const notYetDurable: string[] = [];
    // A second connection sees only what is committed.
    const observer = await openEventStore(`sqlite:${join(scratch, 'piped.db')}`, { readOnly: true, readAhead: false });
    const checks: Promise<void>[] = [];
    const processed = await p2.run(source(), (report) => {
      const last = report.events[report.events.length - 1]?.metadata.revision ?? -1;
      checks.push(
        observer.streamRevision(portfolioStream('pipe')).then((head) => {
          if (head === 'no_stream' || head < last) notYetDurable.push(report.time);
        }),
      );
    });
    await Promise.all(checks);
    expect(processed).toBe(slices.length);
    expect(notYetDurable).toEqual([]);
    expect(await bodies(piped)).toEqual(await bodies(oneByOne));
    p2.close();
    await observer.close();
    await piped.close();
    await oneByOne.close();
  });

  it('a failed append halts the portfolio, reports nothing after it, and a reopen continues to the same log', async () => {
    const url = `sqlite:${join(scratch, 'failing.db')}`;
    const real = await openEventStore(url, { durability: 'normal', writerThread: true });
    // Each slice is one write of a commit (up to a group of 32); the commit that holds the 41st slice fails.
    let committed = 0;
    const failing: EventStore = Object.create(real, {
      appendMany: {
        value: async (writes: Parameters<EventStore['appendMany']>[0]) => {
          if (committed + writes.length > 40) throw new Error('disk full');
          const results = await real.appendMany(writes);
          committed += writes.length;
          return results;
        },
      },
    }) as EventStore;
    const portfolio = await Portfolio.open({ store: failing, config, batchClock });
    const reported: string[] = [];
    await expect(portfolio.run(source(), (r) => reported.push(r.time))).rejects.toThrow('disk full');
    expect(committed).toBeGreaterThan(0);
    expect(reported).toEqual(slices.slice(0, committed).map((s) => s.time));
    await expect(portfolio.processSlice(slices[25] as BarSlice)).rejects.toThrow(/halted/);
    portfolio.close();
    await real.close();

    // Reopened from the log: it ends at the last slice reported, and running the whole source again continues from there.
    const store = await openEventStore(url, { durability: 'normal', writerThread: true });
    const reopened = await Portfolio.open({ store, config, batchClock });
    expect(reopened.status().lastBarTime).toBe(slices[committed - 1]?.time);
    await reopened.run(source());
    reopened.close();
    const whole = await openEventStore(`sqlite:${join(scratch, 'whole.db')}`, { durability: 'normal' });
    const p = await Portfolio.open({ store: whole, config });
    for (const s of slices) await p.processSlice(s);
    p.close();
    expect(await bodies(store)).toEqual(await bodies(whole));
    await store.close();
    await whole.close();
  });
  it('a slice out of order ends the run once every slice decided before it is durable, and the log holds exactly those', async () => {
    const store = await openEventStore(`sqlite:${join(scratch, 'disorder.db')}`, { durability: 'normal', writerThread: true });
    const portfolio = await Portfolio.open({ store, config, batchClock });
    const bad = 45;
    async function* disordered(): AsyncGenerator<BarSlice> {
      for (let i = 0; i < bad; i += 1) yield slices[i] as BarSlice;
      // A repeat of an earlier bar time, after more slices than one commit group holds were decided.
      yield slices[10] as BarSlice;
    }
    const reported: string[] = [];
    await expect(portfolio.run(disordered(), (r) => reported.push(r.time))).rejects.toBeInstanceOf(DataError);
    expect(reported).toEqual(slices.slice(0, bad).map((x) => x.time));
    // The source is closed when the run leaves it before its end (a file reader releases its file).
    let closed = false;
    async function* guarded(): AsyncGenerator<BarSlice> {
      try {
        yield* disordered();
        // More than a batch after the bad slice (never reached): the run leaves before the source ends.
        for (let i = 0; i < 100; i += 1) yield slices[bad + 1] as BarSlice;
      } finally {
        closed = true;
      }
    }
    const other = await openEventStore(`sqlite:${join(scratch, 'left.db')}`, { durability: 'normal', writerThread: true });
    const second = await Portfolio.open({ store: other, config, batchClock });
    await expect(second.run(guarded())).rejects.toBeInstanceOf(DataError);
    expect(closed).toBe(true);
    second.close();
    await other.close();
    portfolio.close();
    const reopened = await Portfolio.open({ store, config, batchClock });
    expect(reopened.status().lastBarTime).toBe(slices[bad - 1]?.time);
    reopened.close();
    await store.close();
  });
});

describe('follow: a live session\'s groups of slices', () => {
  it('a run that fails leaves its source promptly, keeps its own error, and closes a source only as for await does', async () => {
    const writerStore = (name: string) => openEventStore(`sqlite:${join(scratch, name)}`, { durability: 'normal', writerThread: true });
    // A repeated slice, then a source that never yields again: the pull pending after the batch must not hold the run.
    let closeAsked = false;
    async function* stalls(): AsyncGenerator<BarSlice> {
      try {
        yield* slices.slice(0, 5);
        yield slices[2] as BarSlice;
        await new Promise(() => undefined);
      } finally {
        closeAsked = true;
      }
    }
    const a = await writerStore('stalls.db');
    const first = await Portfolio.open({ store: a, config, batchClock });
    await expect(first.run(stalls())).rejects.toBeInstanceOf(DataError);
    expect(closeAsked).toBe(false); // asked, but a generator runs its finally only after the pending pull
    first.close();
    await a.close();

    // A source whose return() throws: the run ends with its own error, not that one.
    let returned = 0;
    const throwsOnReturn = (): AsyncIterable<BarSlice> => ({
      [Symbol.asyncIterator]: () => {
        let i = 0;
        const order = [0, 1, 2, 1, 3];
        return {
          next: async () => (i < order.length ? { done: false, value: slices[order[i++] as number] as BarSlice } : { done: true, value: undefined }),
          return: async () => {
            returned += 1;
            throw new Error('return failed');
          },
        };
      },
    });
    const b = await writerStore('throwsOnReturn.db');
    const second = await Portfolio.open({ store: b, config, batchClock });
    await expect(second.run(throwsOnReturn())).rejects.toBeInstanceOf(DataError);
    expect(returned).toBe(1);
    second.close();
    await b.close();

    // A source whose next() fails is not asked to close, as for await leaves it.
    let failedClosed = 0;
    const failing = (): AsyncIterable<BarSlice> => ({
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: async () => {
            if (i === 3) throw new Error('read failed');
            return { done: false, value: slices[i++] as BarSlice };
          },
          return: async () => {
            failedClosed += 1;
            return { done: true, value: undefined };
          },
        };
      },
    });
    const c = await writerStore('failingSource.db');
    const third = await Portfolio.open({ store: c, config, batchClock });
    await expect(third.run(failing())).rejects.toThrow('read failed');
    expect(failedClosed).toBe(0);
    third.close();
    await c.close();
  });

  it('commits each group with the writes its slices bring; a slice that cannot be decided fails the run once the slices before it are durable', async () => {
    const store = createMemoryEventStore();
    const portfolio = await Portfolio.open({ store, config });
    const recorder = await FeedRecorder.open(store, 'pipe', null);
    const item = (slice: BarSlice) => ({ slice, before: [recorder.prepare(slice, [], [])] });
    const [s0, s1, s2, s3, s4] = slices as [BarSlice, BarSlice, BarSlice, BarSlice, BarSlice];
    async function* groups() {
      yield [item(s0), item(s1)];
      // The repeat of s3 is refused when it is decided: s2 and s3 are committed before the run fails.
      yield [item(s2), item(s3), item(s3), item(s4)];
    }
    const reported: string[] = [];
    await expect(portfolio.follow(groups(), (report) => void reported.push(report.time))).rejects.toBeInstanceOf(DataError);
    expect(reported).toEqual([s0, s1, s2, s3].map((s) => s.time));
    const recorded: string[] = [];
    for await (const e of store.readStream(feedStream('pipe'))) if (e.type === 'SliceBarsRecorded') recorded.push(e.data.time);
    expect(recorded).toEqual(reported);
    const marked: string[] = [];
    for await (const e of store.readStream(portfolioStream('pipe'))) if (e.type === 'BarMarked') marked.push(String(e.metadata.barTime));
    expect(marked).toEqual(reported);
    await expect(portfolio.processSlice(s4)).rejects.toThrow(/halted/);
    portfolio.close();
  });
});
