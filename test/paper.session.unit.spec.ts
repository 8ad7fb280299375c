// The paper session on a fake clock and a memory store: close-after closes a slice a symbol never reports (and records
// the gap), a slice recorded but not applied before a crash is applied first on restart, --until ends the session; a
// slice and its feed record are committed together, slices that queue up share one commit (decided while the one
// before commits), nothing is reported before it is durable, and a command in flight is never taken twice.
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, MemoryLog } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import type { RecordedEvent } from '../events/envelope.js';
import type { EventStore, StreamAppend } from '../events/store.js';
import type { RecordedCommand } from '../events/feedRecord.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { PaperSession, type CommandSource, type SessionEnd } from '../src/cli/paperSession.js';
import { describeEnd } from '../src/cli/commands/paper.js';
import type { Feed, FeedClock, FeedSink } from '../src/feeds/feed.js';
import type { Bar } from '../src/market/bar.js';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';

const T0 = Date.parse('2024-03-01T00:00:00Z');
const MIN = 60_000;
const bar = (symbol: string, close: string): Bar => ({ symbol, open: close, high: close, low: close, close, volume: '1' });

/** A clock whose time moves only when the test says so. */
class FakeClock implements FeedClock {
  t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  random(): number {
    return 0;
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const d of due) d.fn();
  }
}

class PushFeed implements Feed {
  readonly description = 'test';
  readonly symbols = null;
  readonly intervalMs = null;
  sink: FeedSink | null = null;
  start(sink: FeedSink): void {
    this.sink = sink;
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  push(minute: number, ...bars: Bar[]): void {
    this.sink?.bars(bars.map((b) => ({ ms: T0 + minute * MIN, bar: b })), `test minute ${minute}`);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function events(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
}

/**
 * A store whose multi-stream appends wait at a gate while it is closed, and are recorded as their streams; `calls`
 * lists appends (once committed) and upkeep requests in the order they happened.
 */
function gatedStore(real: EventStore): { store: EventStore; appends: string[][]; calls: string[]; close(): void; open(): void; fail(error: Error): void } {
  let gate: Promise<void> | null = null;
  let release: () => void = () => undefined;
  let failure: Error | null = null;
  const appends: string[][] = [];
  const calls: string[] = [];
  const store = Object.create(real, {
    appendMany: {
      value: async (writes: readonly StreamAppend[]) => {
        if (failure !== null) throw failure;
        appends.push(writes.map((w) => w.stream));
        await gate;
        const results = await real.appendMany(writes);
        calls.push(`append ${writes.length}`);
        return results;
      },
    },
    maintain: {
      value: async () => {
        calls.push('maintain');
      },
    },
  }) as EventStore;
  return {
    store,
    appends,
    calls,
    close: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    open: () => {
      gate = null;
      release();
    },
    fail: (error) => {
      failure = error;
    },
  };
}

/** A command queue in memory: queued commands are taken by applyQueued, and leave the queue once settled. */
class MemoryCommands implements CommandSource {
  queue: RecordedCommand[] = [];
  taken: string[] = [];
  settled: { commandId: string; at: string }[] = [];
  async applyQueued(portfolio: Portfolio, applied: ReadonlySet<string>): Promise<readonly RecordedCommand[]> {
    const out = this.queue.filter((c) => !applied.has(c.commandId));
    this.reapply(portfolio, out);
    this.taken.push(...out.map((c) => c.commandId));
    return out;
  }
  reapply(portfolio: Portfolio, commands: readonly RecordedCommand[]): void {
    for (const c of commands) portfolio.pauseStrategy(String(c.command['strategyId']), 'test');
  }
  async settle(commands: readonly RecordedCommand[], slice: { time: string }): Promise<void> {
    for (const c of commands) this.settled.push({ commandId: c.commandId, at: slice.time });
    this.queue = this.queue.filter((q) => !commands.some((c) => c.commandId === q.commandId));
  }
}

async function start(store: EventStore, clock: FakeClock, options: { untilMinute: number; allowedLatenessMs?: number; closeAfterMs?: number; commands?: CommandSource; latestPlausibleBarMs?: () => number }) {
  const config = await loadPortfolioConfig(PAPER_CONFIG);
  const portfolio = await Portfolio.open({ store, config });
  const recorder = await FeedRecorder.open(store, config.id, portfolio.status().lastBarTime);
  const feed = new PushFeed();
  const notices: string[] = [];
  const session = new PaperSession({
    portfolio,
    store,
    recorder,
    feed,
    clock,
    symbols: ['BTCUSDT', 'ETHUSDT'],
    untilMs: T0 + options.untilMinute * MIN,
    fromMs: null,
    allowedLatenessMs: options.allowedLatenessMs ?? 0,
    closeAfterMs: options.closeAfterMs ?? null,
    commands: options.commands ?? null,
    latestPlausibleBarMs: options.latestPlausibleBarMs ?? null,
    onSlice: (s) => {
      reported.push(s.report.time);
      closedBy.push(s.closedBy);
    },
    onNotice: (line) => notices.push(line),
  });
  const reported: string[] = [];
  const closedBy: string[] = [];
  const ended: Promise<SessionEnd> = session.run();
  await settle();
  return { portfolio, feed, ended, notices, recorder, reported, closedBy, session };
}

describe('PaperSession', () => {
  it('closes a slice a symbol never reports after --close-after, records the gap, and ends after the --until slice', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 1, closeAfterMs: 5000 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    s.feed.push(1, bar('BTCUSDT', '101'));
    clock.advance(4999);
    await settle();
    expect(s.portfolio.status().lastBarTime).toBe('2024-03-01T00:00:00.000Z');
    clock.advance(1);
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.portfolio.status().lastBarTime).toBe('2024-03-01T00:01:00.000Z');
    const feed = await events(store, 'feed-paper');
    expect(feed.map((e) => e.type)).toEqual(['SliceBarsRecorded', 'FeedGap', 'SliceBarsRecorded']);
    expect(feed[1]?.data).toEqual({ symbol: 'ETHUSDT', from: '2024-03-01T00:01:00.000Z', to: '2024-03-01T00:01:00.000Z', reason: 'no bar when the slice closed (close-after)' });
    expect(s.notices.some((n) => n.startsWith('gap: ETHUSDT has no bars from 2024-03-01T00:01:00.000Z'))).toBe(true);
  });

  it('a slice a later bar has passed waits the whole --allowed-lateness for its missing bar, even with a shorter --close-after', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 1, allowedLatenessMs: 10_000, closeAfterMs: 2000 });
    s.feed.push(0, bar('BTCUSDT', '100'));
    clock.advance(500);
    s.feed.push(1, bar('BTCUSDT', '101'));
    // Past the close-after deadline (2000) but within the lateness (500 + 10 000): minute 0 is still open.
    clock.advance(5000);
    await settle();
    expect(s.reported).toEqual([]);
    s.feed.push(0, bar('ETHUSDT', '10'));
    // Minute 1 was passed by no later bar, and its close-after (2000 after its first bar, at 500) ran out while it
    // waited behind minute 0: it closes right after it.
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.closedBy).toEqual(['complete', 'close-after']);
    expect(s.session.counts).toMatchObject({ late: 0, gaps: 1 });
  });

  it('without the missing bar, a passed slice is closed by the watermark once the lateness has elapsed: the session wakes then, not at close-after', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 0, allowedLatenessMs: 10_000, closeAfterMs: 2000 });
    s.feed.push(0, bar('BTCUSDT', '100'));
    clock.advance(500);
    s.feed.push(1, bar('BTCUSDT', '101'));
    clock.advance(9_999);
    await settle();
    expect(s.reported).toEqual([]);
    clock.advance(1);
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z']);
    expect(s.closedBy).toEqual(['watermark']);
    const feed = await events(store, 'feed-paper');
    expect(feed.find((e) => e.type === 'FeedGap')?.data).toMatchObject({ symbol: 'ETHUSDT', reason: 'no bar when the slice closed (watermark)' });
  });

  it('refuses a bar stamped later than the plausible bound: it is counted invalid and never moves the watermark', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 2, latestPlausibleBarMs: () => T0 + 10 * MIN });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    s.feed.push(60, bar('BTCUSDT', '100'));
    s.feed.push(1, bar('BTCUSDT', '101'));
    await settle();
    // Minute 1 still waits for ETHUSDT: the refused bar did not pass the watermark over it.
    expect(s.portfolio.status().lastBarTime).toBe('2024-03-01T00:00:00.000Z');
    s.feed.push(1, bar('ETHUSDT', '11'));
    s.feed.push(2, bar('BTCUSDT', '102'), bar('ETHUSDT', '12'));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.portfolio.status().lastBarTime).toBe('2024-03-01T00:02:00.000Z');
    expect(s.session.counts).toMatchObject({ invalid: 1, late: 0, gaps: 0 });
    expect(s.notices).toEqual([
      'refused test minute 60: BTCUSDT bar time 2024-03-01T01:00:00.000Z is later than the latest plausible bar time 2024-03-01T00:10:00.000Z (this machine\'s clock plus a tolerance)',
    ]);
  });

  it('reports the first late bars one by one, then one line per hundred and one at the end, counting every one', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 1 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    for (let i = 0; i < 250; i += 1) s.feed.push(0, bar('BTCUSDT', String(200 + i)));
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.session.counts.late).toBe(250);
    const late = s.notices.filter((n) => n.includes('late bar'));
    expect(late).toHaveLength(8);
    expect(late[4]).toMatch(/^late bar BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0: .*; further late bars are summarised, one line per 100$/);
    expect(late.slice(5)).toEqual([
      'late bars: 100 more not shown (105 in all), the latest BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0; not applied',
      'late bars: 100 more not shown (205 in all), the latest BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0; not applied',
      'late bars: 45 more not shown (250 in all), the latest BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0; not applied',
    ]);
  });

  it('a feed that fails (its input cannot be read) ends the session as failed by it, after applying what it had', async () => {
    const store = createMemoryEventStore();
    const s = await start(store, new FakeClock(), { untilMinute: 5 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    s.feed.sink?.failed('reading the input failed: EIO');
    expect(await s.ended).toEqual({ reason: 'feed-failed', detail: 'reading the input failed: EIO' });
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z']);
  });

  it('reports the first conflicting bars one by one, then one line per hundred and one at the end, keeping the first bar', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 1 });
    s.feed.push(0, bar('BTCUSDT', '100'));
    // A feed re-sending a corrected bar with every message: the first bar of the slice is the one kept.
    for (let i = 0; i < 120; i += 1) s.feed.push(0, bar('BTCUSDT', String(300 + i)));
    s.feed.push(0, bar('ETHUSDT', '10'));
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.session.counts.conflicting).toBe(120);
    const lines = s.notices.filter((n) => n.includes('conflicting bar'));
    expect(lines).toHaveLength(7);
    expect(lines[4]).toMatch(/^conflicting bar BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0: another bar with other numbers came first and is kept; further conflicting bars are summarised, one line per 100$/);
    expect(lines.slice(5)).toEqual([
      'conflicting bars: 100 more not shown (105 in all), the latest BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0; the first is kept',
      'conflicting bars: 15 more not shown (120 in all), the latest BTCUSDT 2024-03-01T00:00:00.000Z from test minute 0; the first is kept',
    ]);
    const recorded = (await events(store, 'feed-paper')).find((e) => e.type === 'SliceBarsRecorded');
    expect(recorded?.type === 'SliceBarsRecorded' ? recorded.data.bars.find((b) => b.symbol === 'BTCUSDT')?.close : null).toBe('100');
  });

  it('reports the first refused messages one by one, then one line per hundred and one at the end, counting every one (a server sending a status message every second would otherwise fill stderr)', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 1 });
    for (let i = 0; i < 230; i += 1) s.feed.sink?.invalid(`message ${i}`, 'missing or non-scalar member "timestamp"');
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.session.counts.invalid).toBe(230);
    expect(s.notices).toEqual([
      ...[0, 1, 2, 3].map((i) => `refused message ${i}: missing or non-scalar member "timestamp"`),
      'refused message 4: missing or non-scalar member "timestamp"; further refused messages are summarised, one line per 100',
      'refused messages: 100 more not shown (105 in all), the latest message 104: missing or non-scalar member "timestamp"',
      'refused messages: 100 more not shown (205 in all), the latest message 204: missing or non-scalar member "timestamp"',
      'refused messages: 25 more not shown (230 in all), the latest message 229: missing or non-scalar member "timestamp"',
    ]);
  });

  it('an input that ends before --until still applies the slices a later bar passed (closed by the watermark: no bar can reach them within the lateness now); only the last waits', async () => {
    const store = createMemoryEventStore();
    const s = await start(store, new FakeClock(), { untilMinute: 5, allowedLatenessMs: 3_600_000 });
    s.feed.push(0, bar('BTCUSDT', '100'));
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    s.feed.push(2, bar('BTCUSDT', '102'));
    await settle();
    expect(s.reported).toEqual([]);
    s.feed.sink?.ended('the input ended');
    expect(await s.ended).toEqual({ reason: 'feed-ended', detail: 'the input ended' });
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-01T00:01:00.000Z']);
    expect((await events(store, 'feed-paper')).map((e) => e.type)).toEqual(['FeedGap', 'SliceBarsRecorded', 'SliceBarsRecorded']);
    expect(s.notices).toContain(
      'the input ended before --until with the slice at 2024-03-01T00:02:00.000Z incomplete (no bar of ETHUSDT): not applied, so that the next run takes it whole from its input (1 bar held back)',
    );
  });

  it('an input that ends before --until leaves its incomplete last slice for the next run: resumed with the whole input, the log is an uninterrupted session\'s', async () => {
    const minutes = (last: number, cut: boolean) => (s: Awaited<ReturnType<typeof start>>) => {
      for (let m = 0; m <= last; m += 1) s.feed.push(m, bar('BTCUSDT', String(100 + m)), ...(cut && m === last ? [] : [bar('ETHUSDT', String(10 + m))]));
      s.feed.sink?.ended('the input ended');
    };
    const whole = createMemoryEventStore();
    const once = await start(whole, new FakeClock(), { untilMinute: 3 });
    minutes(3, false)(once);
    expect(await once.ended).toEqual({ reason: 'until' });

    const resumed = createMemoryEventStore();
    const first = await start(resumed, new FakeClock(), { untilMinute: 3 });
    minutes(1, true)(first);
    expect(await first.ended).toEqual({ reason: 'feed-ended', detail: 'the input ended' });
    expect(first.reported).toEqual(['2024-03-01T00:00:00.000Z']);
    expect(first.session.counts).toMatchObject({ bars: 2, gaps: 0 });
    expect(first.notices).toEqual([
      'the input ended before --until with the slice at 2024-03-01T00:01:00.000Z incomplete (no bar of ETHUSDT): not applied, so that the next run takes it whole from its input (1 bar held back)',
    ]);
    first.portfolio.close();
    const second = await start(resumed, new FakeClock(), { untilMinute: 3 });
    minutes(3, false)(second);
    expect(await second.ended).toEqual({ reason: 'until' });
    expect(second.session.counts).toMatchObject({ late: 0, duplicates: 2 });
    const lines = async (store: EventStore, stream: string) => (await events(store, stream)).map((e) => JSON.stringify([e.type, e.data, e.metadata]));
    expect(await lines(resumed, 'portfolio-paper')).toEqual(await lines(whole, 'portfolio-paper'));
    expect(await lines(resumed, 'feed-paper')).toEqual(await lines(whole, 'feed-paper'));
  });

  it('counts the bars an input ending before --until holds back as pending at the stop: every bar taken is applied or counted as not', async () => {
    const store = createMemoryEventStore();
    const s = await start(store, new FakeClock(), { untilMinute: 5 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    s.feed.push(1, bar('BTCUSDT', '101'));
    s.feed.sink?.ended('the input ended');
    expect(await s.ended).toEqual({ reason: 'feed-ended', detail: 'the input ended' });
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z']);
    expect(s.session.counts).toMatchObject({ bars: 2, pendingAtStop: 1 });
    // The held-back slice is told once, by the line that says why it waits for the next run.
    expect(s.notices).toEqual([
      'the input ended before --until with the slice at 2024-03-01T00:01:00.000Z incomplete (no bar of ETHUSDT): not applied, so that the next run takes it whole from its input (1 bar held back)',
    ]);
  });

  it('counts as applied only the bars of slices made durable: not those of a slice still open when a signal stops the session', async () => {
    const store = createMemoryEventStore();
    const s = await start(store, new FakeClock(), { untilMinute: 9 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    s.feed.push(1, bar('BTCUSDT', '101'));
    await settle();
    s.session.stop({ reason: 'signal', signal: 'SIGINT' });
    // Minute 1 waits for ETHUSDT: no slice was being decided or committed when the signal came.
    const end = await s.ended;
    expect(end).toEqual({ reason: 'signal', signal: 'SIGINT', slicesInProgress: 0 });
    expect(describeEnd(end, null, s.portfolio.status().lastBarTime)).toBe('stopped by SIGINT between slices (every slice applied is durable)');
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z']);
    expect(s.session.counts.bars).toBe(2);
  });

  it('a signal while a slice is being committed ends the session once that slice is durable, and says one was in progress; the slices queued behind it are not started', async () => {
    const gated = gatedStore(createMemoryEventStore());
    const s = await start(gated.store, new FakeClock(), { untilMinute: 9 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    gated.close();
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    await settle();
    // Minute 1 waits at the gate for its commit; minute 2 closes behind it.
    expect(gated.appends).toHaveLength(2);
    s.feed.push(2, bar('BTCUSDT', '102'), bar('ETHUSDT', '12'));
    s.session.stop({ reason: 'signal', signal: 'SIGTERM' });
    gated.open();
    const end = await s.ended;
    expect(end).toEqual({ reason: 'signal', signal: 'SIGTERM', slicesInProgress: 1 });
    expect(describeEnd(end, null, s.portfolio.status().lastBarTime)).toBe('stopped by SIGTERM after the slice in progress');
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-01T00:01:00.000Z']);
    expect(s.session.counts).toMatchObject({ bars: 4, pendingAtStop: 2 });
    // Slices that queue up are committed together: a signal during such a commit waits for all of them.
    expect(describeEnd({ reason: 'signal', signal: 'SIGINT', slicesInProgress: 3 }, null, null)).toBe('stopped by SIGINT after the 3 slices in progress');
  });

  it('reports the first gaps of each symbol one by one, then one line per hundred and one at the end: a symbol that never reports does not fill stderr', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 9 });
    for (let m = 0; m <= 10; m += 1) s.feed.push(m, bar('BTCUSDT', String(100 + m)));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.session.counts.gaps).toBe(10);
    expect((await events(store, 'feed-paper')).filter((e) => e.type === 'FeedGap')).toHaveLength(10);
    const gaps = s.notices.filter((n) => n.startsWith('gap'));
    expect(gaps).toHaveLength(6);
    expect(gaps[4]).toBe(
      'gap: ETHUSDT has no bars from 2024-03-01T00:04:00.000Z to 2024-03-01T00:04:00.000Z (no bar when the slice closed (watermark)); recorded, nothing invented; ' +
        'further gaps of ETHUSDT are summarised, one line per 100',
    );
    expect(gaps[5]).toBe('gaps of ETHUSDT: 5 more not shown (10 in all), the latest from 2024-03-01T00:09:00.000Z to 2024-03-01T00:09:00.000Z; recorded, nothing invented');
  });

  it('reports the first bar of each symbol it does not trade, counts the rest, and sums them up per symbol at the end', async () => {
    const store = createMemoryEventStore();
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 39 });
    for (let m = 0; m < 40; m += 1) s.feed.push(m, bar('BTCUSDT', String(100 + m)), bar('ETHUSDT', '10'), bar('XRPUSDT', '1'), ...(m % 2 === 0 ? [bar('SOLUSDT', '5')] : []));
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.session.counts.unknownSymbol).toBe(60);
    expect(s.notices).toEqual([
      'refused test minute 0: unknown symbol XRPUSDT (subscribed: BTCUSDT, ETHUSDT); its further bars are counted, not shown',
      'refused test minute 0: unknown symbol SOLUSDT (subscribed: BTCUSDT, ETHUSDT); its further bars are counted, not shown',
      'unknown symbol XRPUSDT: 40 bars refused in all',
      'unknown symbol SOLUSDT: 20 bars refused in all',
    ]);
  });

  it('applies first, on restart, a slice that was recorded but not applied when the process died', async () => {
    const log = new MemoryLog();
    const clock = new FakeClock();
    const first = await start(createMemoryEventStore({ log }), clock, { untilMinute: 9 });
    first.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    // Minute 1's feed record is stored without its events (a store without a transaction across streams, killed
    // between its two appends; or a log of a version that appended them apart).
    await first.recorder.record({ time: new Date(T0 + MIN).toISOString(), bars: { BTCUSDT: bar('BTCUSDT', '102'), ETHUSDT: bar('ETHUSDT', '11') } }, [], []);
    const store = createMemoryEventStore({ log });
    const second = await start(store, clock, { untilMinute: 2 });
    expect(second.portfolio.status().lastBarTime).toBe('2024-03-01T00:01:00.000Z');
    const marks = (await events(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked');
    expect(marks.map((e) => (e.type === 'BarMarked' ? e.data.marks : null))).toEqual([
      { BTCUSDT: '100', ETHUSDT: '10' },
      { BTCUSDT: '102', ETHUSDT: '11' },
    ]);
    // The feed sends minute 1 again (as a backfill would): a repeat, not a second slice.
    second.feed.push(1, bar('BTCUSDT', '102'), bar('ETHUSDT', '11'));
    second.feed.push(2, bar('BTCUSDT', '103'), bar('ETHUSDT', '12'));
    expect(await second.ended).toEqual({ reason: 'until' });
    expect((await events(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(3);
    expect(second.notices.filter((n) => n.startsWith('late'))).toEqual([]);
  });

  it("has the store do its upkeep once a slice is durable and no other is closed or being decided, never between a slice's decision and its commit", async () => {
    const gated = gatedStore(createMemoryEventStore());
    const clock = new FakeClock();
    const s = await start(gated.store, clock, { untilMinute: 9 });
    gated.close();
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    s.feed.push(2, bar('BTCUSDT', '102'), bar('ETHUSDT', '12'));
    await settle();
    expect(gated.calls).toEqual([]);
    gated.open();
    await settle();
    // Minute 0 was durable while minutes 1 and 2 were decided and waiting: the upkeep came only after their commit.
    expect(s.reported).toHaveLength(3);
    expect(gated.calls).toEqual(['append 2', 'append 4', 'maintain']);
    s.feed.push(3, bar('BTCUSDT', '103'), bar('ETHUSDT', '13'));
    await settle();
    expect(gated.calls).toEqual(['append 2', 'append 4', 'maintain', 'append 2', 'maintain']);
  });

  it("a failed upkeep is a notice, not the session's end: the slices go on and stay durable", async () => {
    const real = createMemoryEventStore();
    const store = Object.create(real, {
      maintain: {
        value: async () => {
          throw new Error('database or disk is full');
        },
      },
    }) as EventStore;
    const clock = new FakeClock();
    const s = await start(store, clock, { untilMinute: 2 });
    for (let m = 0; m <= 2; m += 1) {
      s.feed.push(m, bar('BTCUSDT', String(100 + m)), bar('ETHUSDT', '10'));
      await settle();
    }
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(s.reported).toHaveLength(3);
    expect(s.notices).toContain("the store's upkeep between slices failed (database or disk is full); the session goes on");
  });

  it('commits slices that queue up in one append, each after its feed record, decided while the one before commits; reports each once durable', async () => {
    const gated = gatedStore(createMemoryEventStore());
    const clock = new FakeClock();
    const commands = new MemoryCommands();
    const s = await start(gated.store, clock, { untilMinute: 9, commands });
    const minute = (m: number): string => new Date(T0 + m * MIN).toISOString();

    gated.close();
    commands.queue.push({ commandId: 'c1', command: { kind: 'pause', strategyId: 'trend', reason: 'test' } });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    // Minute 0 is committing; minutes 1 and 2 close meanwhile and are decided as one group.
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    s.feed.push(2, bar('BTCUSDT', '102'), bar('ETHUSDT', '12'));
    await settle();
    expect(s.portfolio.status().lastBarTime).toBe(minute(2));
    expect(s.reported).toEqual([]);
    // The command in flight with minute 0 is not taken again by the next group.
    expect(commands.taken).toEqual(['c1']);
    expect(gated.appends).toEqual([['feed-paper', 'portfolio-paper']]);
    const store = Object.getPrototypeOf(gated.store) as EventStore;
    expect(await store.streamRevision('feed-paper')).toBe('no_stream');

    gated.open();
    await settle();
    expect(gated.appends).toEqual([
      ['feed-paper', 'portfolio-paper'],
      ['feed-paper', 'portfolio-paper', 'feed-paper', 'portfolio-paper'],
    ]);
    expect(s.reported).toEqual([minute(0), minute(1), minute(2)]);
    expect(commands.settled).toEqual([{ commandId: 'c1', at: minute(0) }]);
    const log = await events(store, 'feed-paper');
    expect(log.map((e) => (e.type === 'SliceBarsRecorded' ? [e.data.time, e.data.commands.map((c) => c.commandId)] : null))).toEqual([
      [minute(0), ['c1']],
      [minute(1), []],
      [minute(2), []],
    ]);
    // In the global order each feed record comes just before its slice's events.
    const all: RecordedEvent[] = [];
    for await (const e of store.readAll()) all.push(e);
    const order = all.filter((e) => e.type === 'SliceBarsRecorded' || e.type === 'BarMarked').map((e) => `${e.type} ${String(e.metadata.barTime)}`);
    expect(order).toEqual([0, 1, 2].flatMap((m) => [`SliceBarsRecorded ${minute(m)}`, `BarMarked ${minute(m)}`]));

    // Several closed at once (one message): one group, up to and including the --until slice; none after it.
    s.feed.push(3, bar('BTCUSDT', '103'), bar('ETHUSDT', '13'));
    await settle();
    const pushMany = (from: number, to: number): void => {
      const bars = [];
      for (let m = from; m <= to; m += 1) bars.push({ ms: T0 + m * MIN, bar: bar('BTCUSDT', `${100 + m}`) }, { ms: T0 + m * MIN, bar: bar('ETHUSDT', `${10 + m}`) });
      s.feed.sink?.bars(bars, 'test burst');
    };
    pushMany(4, 12);
    expect(await s.ended).toEqual({ reason: 'until' });
    expect(gated.appends.slice(3)).toEqual([Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'feed-paper' : 'portfolio-paper'))]);
    expect(s.portfolio.status().lastBarTime).toBe(minute(9));
    expect(s.reported).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(minute));
  });

  it('a failed commit leaves neither the slice nor its feed record, reports nothing of it, and fails the session', async () => {
    const log = new MemoryLog();
    const gated = gatedStore(createMemoryEventStore({ log }));
    const clock = new FakeClock();
    const s = await start(gated.store, clock, { untilMinute: 9 });
    s.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    gated.fail(new Error('disk full'));
    s.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    const end = await s.ended;
    expect(end.reason).toBe('failed');
    expect(end.reason === 'failed' ? (end.error as Error).message : '').toBe('disk full');
    expect(s.reported).toEqual(['2024-03-01T00:00:00.000Z']);
    const store = createMemoryEventStore({ log });
    expect((await events(store, 'feed-paper')).filter((e) => e.type === 'SliceBarsRecorded')).toHaveLength(1);
    expect((await events(store, 'portfolio-paper')).filter((e) => e.type === 'BarMarked')).toHaveLength(1);
    // A restart resumes after minute 0, the last durable slice.
    const again = await start(store, clock, { untilMinute: 1 });
    expect(again.portfolio.status().lastBarTime).toBe('2024-03-01T00:00:00.000Z');
    again.feed.push(1, bar('BTCUSDT', '101'), bar('ETHUSDT', '11'));
    expect(await again.ended).toEqual({ reason: 'until' });
  });
});
