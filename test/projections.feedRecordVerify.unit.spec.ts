// The feed record's verification: its own hash chain and owner, and its link to the portfolio log — every recorded
// slice a slice of the log with its closes as that slice's marks, every slice of the log from the record's first on
// recorded — on records sealed as a session seals them, so only the link can tell a changed one.
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../events/adapters/memoryStore.js';
import { domainEvent } from '../events/catalogue.js';
import { GENESIS_HASH, portfolioStream, sealEvents } from '../events/envelope.js';
import { FeedRecorder, feedStream } from '../events/feedRecord.js';
import type { EventStore } from '../events/store.js';
import { verifyFeedRecord } from '../projections/feedRecordVerification.js';

const minute = (m: number): string => new Date(Date.parse('2024-03-01T00:00:00Z') + m * 60_000).toISOString();
const bar = (close: string) => ({ symbol: 'X', open: close, high: close, low: close, close, volume: '1' });

/** A store whose portfolio `p` marked X at `marks` (minute → close) and whose feed record holds `recorded` (minute → close). */
async function storeWith(marks: readonly (readonly [number, string])[], recorded: readonly (readonly [number, string])[]): Promise<EventStore> {
  const store = createMemoryEventStore();
  const sealed = sealEvents(
    { portfolioId: 'p', nextRevision: 0, prevHash: GENESIS_HASH },
    marks.map(([m, close]) => ({
      event: domainEvent('BarMarked', { marks: { X: close }, strategyValues: {}, strategyCash: {}, reserve: '0', portfolioValue: '0' }),
      barTime: minute(m),
    })),
  );
  await store.append(portfolioStream('p'), sealed.events, { expectedRevision: 'no_stream' });
  const recorder = await FeedRecorder.open(store, 'p', null);
  for (const [m, close] of recorded) await recorder.record({ time: minute(m), bars: { X: bar(close) } }, [], []);
  return store;
}

describe('verifyFeedRecord', () => {
  it('a record of the log’s slices, closes equal to the marks (written as 100.0 or 100), is sound and linked', async () => {
    const store = await storeWith([[0, '100'], [1, '101']], [[0, '100.0'], [1, '101']]);
    expect(await verifyFeedRecord(store, 'p')).toMatchObject({ ok: true, stream: 'feed-p', events: 2, slices: 2, gaps: 0, link: { slices: 2, before: 0, notApplied: 0 } });
  });

  it('no feed record: null', async () => {
    const store = await storeWith([[0, '100']], []);
    expect(await verifyFeedRecord(store, 'p')).toBeNull();
  });

  it('a recorded close the log did not mark fails the link at that record event, though its chain is sound', async () => {
    const store = await storeWith([[0, '100'], [1, '101']], [[0, '100'], [1, '109']]);
    const v = await verifyFeedRecord(store, 'p');
    expect(v).toMatchObject({ ok: false, stream: 'feed-p', revision: 1, check: 'link' });
    expect(v?.ok === false ? v.reason : '').toMatch(/X closed at 109 in the record, the portfolio marked 101/);
  });

  it('a slice of the log the record skips fails the link naming the log’s event', async () => {
    const store = await storeWith([[0, '100'], [1, '101'], [2, '102']], [[0, '100'], [2, '102']]);
    const v = await verifyFeedRecord(store, 'p');
    expect(v).toMatchObject({ ok: false, stream: 'portfolio-p', revision: 1, check: 'link' });
    expect(v?.ok === false ? v.reason : '').toMatch(new RegExp(`slice at ${minute(1)}.*not in the feed record`));
  });

  it('a recorded slice the log does not hold, between two it holds, fails the link at that record event', async () => {
    const store = await storeWith([[0, '100'], [2, '102']], [[0, '100'], [1, '101'], [2, '102']]);
    expect(await verifyFeedRecord(store, 'p')).toMatchObject({ ok: false, stream: 'feed-p', revision: 1, check: 'link' });
  });

  it('slices of the log after the record’s last fail the link naming the first', async () => {
    const store = await storeWith([[0, '100'], [1, '101']], [[0, '100']]);
    expect(await verifyFeedRecord(store, 'p')).toMatchObject({ ok: false, stream: 'portfolio-p', revision: 1, check: 'link' });
  });

  it('counts the log’s slices before the record began and the recorded slices not applied yet (a write-ahead record)', async () => {
    const store = await storeWith([[0, '100'], [1, '101'], [2, '102']], [[1, '101'], [2, '102'], [3, '103']]);
    expect(await verifyFeedRecord(store, 'p')).toMatchObject({ ok: true, slices: 3, link: { slices: 2, before: 1, notApplied: 1 } });
  });

  it('without the link (the log is not trusted), only the record itself is checked', async () => {
    const store = await storeWith([[0, '100']], [[0, '109']]);
    expect(await verifyFeedRecord(store, 'p', { link: false })).toMatchObject({ ok: true, link: null });
  });

  it('a record sealed under another owner fails the chain check', async () => {
    const store = createMemoryEventStore();
    const sealed = sealEvents({ portfolioId: 'p', nextRevision: 0, prevHash: GENESIS_HASH }, [
      { event: domainEvent('SliceBarsRecorded', { time: minute(0), bars: [bar('100')], commands: [] }), barTime: minute(0) },
    ]);
    await store.append(feedStream('p'), sealed.events, { expectedRevision: 'no_stream' });
    expect(await verifyFeedRecord(store, 'p', { link: false })).toMatchObject({ ok: false, stream: 'feed-p', revision: 0, check: 'chain' });
  });
});
