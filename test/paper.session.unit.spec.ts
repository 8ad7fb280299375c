// The paper session on a fake clock and a memory store: close-after closes a slice a symbol never reports (and records
// the gap), a slice recorded but not applied before a crash is applied first on restart, --until ends the session.
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, MemoryLog } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import type { RecordedEvent } from '../events/envelope.js';
import type { EventStore } from '../events/store.js';
import { Portfolio } from '../actors/portfolio.js';
import { loadPortfolioConfig } from '../src/config/portfolioConfig.js';
import { PaperSession, type SessionEnd } from '../src/cli/paperSession.js';
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

async function start(store: EventStore, clock: FakeClock, options: { untilMinute: number; closeAfterMs?: number }) {
  const config = await loadPortfolioConfig(PAPER_CONFIG);
  const portfolio = await Portfolio.open({ store, config });
  const recorder = await FeedRecorder.open(store, config.id, portfolio.status().lastBarTime);
  const feed = new PushFeed();
  const notices: string[] = [];
  const session = new PaperSession({
    portfolio,
    recorder,
    feed,
    clock,
    symbols: ['BTCUSDT', 'ETHUSDT'],
    untilMs: T0 + options.untilMinute * MIN,
    fromMs: null,
    allowedLatenessMs: 0,
    closeAfterMs: options.closeAfterMs ?? null,
    commands: null,
    onSlice: () => undefined,
    onNotice: (line) => notices.push(line),
  });
  const ended: Promise<SessionEnd> = session.run();
  await settle();
  return { portfolio, feed, ended, notices, recorder };
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

  it('applies first, on restart, a slice that was recorded but not applied when the process died', async () => {
    const log = new MemoryLog();
    const clock = new FakeClock();
    const first = await start(createMemoryEventStore({ log }), clock, { untilMinute: 9 });
    first.feed.push(0, bar('BTCUSDT', '100'), bar('ETHUSDT', '10'));
    await settle();
    // The process dies between the two appends of minute 1: its bars are in the feed record, not in the portfolio.
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
});
