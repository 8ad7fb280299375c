// The read-ahead page format: what the worker encodes decodes to exactly what an in-thread read gives, and a page that
// is not well formed is refused (the reader then reads those rows in-thread).
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, decodeStored, domainEvent, encodeForStore, eventIdFor, sealEvents, sha256Hex, type PendingEvent, type RecordedEvent } from '../events/index.js';
import { decodeCheckedRows, decodeReadAheadPage, encodeReadAheadPage, type EncodedPage, type StoredRowTuple } from '../events/adapters/readAheadPage.js';
import { CheckedRowsBuilder, checkRows, type CheckedRows } from '../events/adapters/checkedRows.js';

/** Rows of one stream as the SQLite table holds them: marks and fills, a null bar time, data JSON escapes, and an old version. */
function storedRows(): StoredRowTuple[] {
  const pending: PendingEvent[] = [
    { barTime: null, event: domainEvent('CapitalTransferred', { from: 'reserve', to: 's1', amount: '100', reason: 'initial allocation', rebalanceId: null }) },
    { barTime: '2024-01-02T00:00:00.000Z', event: domainEvent('FillRecorded', { orderId: 'o1', strategyId: 's1', symbol: 'AAA', quantity: '3', price: '10.5', commission: '1', slippage: '0' }) },
    { barTime: '2024-01-02T00:00:00.000Z', event: domainEvent('FillRecorded', { orderId: 'o2', strategyId: 's"2', symbol: 'BBB', quantity: '-1', price: '7', commission: '0', slippage: '0' }) },
    { barTime: '2024-01-02T00:00:00.000Z', event: domainEvent('BarMarked', { marks: { AAA: '10.5', BBB: '7' }, strategyValues: { s1: '99' }, strategyCash: { s1: '67.5' }, reserve: '0', portfolioValue: '99' }) },
    { barTime: '2024-01-03T00:00:00.000Z', event: domainEvent('FillRecorded', { orderId: 'o3', strategyId: 's1', symbol: 'AAA', quantity: '-3', price: '11', commission: '1', slippage: '0' }) },
  ];
  const { events, head } = sealEvents({ portfolioId: 'p\u00e9', nextRevision: 0, prevHash: GENESIS_HASH }, pending);
  const rows: StoredRowTuple[] = events.map((e, i) => {
    const { body, hash } = encodeForStore(e);
    return [100 + i, e.metadata.revision, body, hash] as const;
  });
  // A FillRecorded v1 row (no slippage) as an older stratafolio stored it: upcast on read.
  const revision = head.nextRevision;
  const metadata = { barTime: '2024-01-03T00:00:00.000Z', eventId: eventIdFor('p\u00e9', revision), portfolioId: 'p\u00e9', prevHash: head.prevHash, revision, schemaVersion: 1 };
  const body = canonicalJson({ type: 'FillRecorded', data: { orderId: 'o4', strategyId: 's1', symbol: 'BBB', quantity: '1', price: '7', commission: '0' }, metadata });
  rows.push([100 + revision, revision, body, sha256Hex(body)]);
  return rows;
}

const STREAM = 'portfolio-p\u00e9';
const inThread = (rows: readonly StoredRowTuple[]): unknown[] =>
  rows.map(([position, revision, body, hash]) => decodeStored(body, hash, { stream: STREAM, revision, position }));
/** What the reader receives: the page after a structured clone, as postMessage delivers it. */
const posted = (page: EncodedPage): EncodedPage => structuredClone(page);

describe('read-ahead pages', () => {
  it('decode to the events an in-thread read gives, rows sent as columns and rows sent whole alike', () => {
    const rows = storedRows();
    const page = encodeReadAheadPage(rows, STREAM);
    expect(page.count).toBe(rows.length);
    expect(page.cut).toBe(false);
    // The old version goes whole, for the reader's full decode and upcast.
    expect(page.types.filter((t) => t < 0)).toHaveLength(1);
    const decoded = decodeReadAheadPage(posted(page));
    expect(decoded?.error).toBeUndefined();
    expect(decoded?.events).toEqual(inThread(rows));
  });

  it('stop before a row whose body does not match its hash, keeping the rows before it', () => {
    const rows = storedRows();
    const [position, revision, body, hash] = rows[3] as StoredRowTuple;
    rows[3] = [position, revision, body.replace('"10.5"', '"10.6"'), hash];
    const page = encodeReadAheadPage(rows, STREAM);
    expect(page.cut).toBe(true);
    expect(decodeReadAheadPage(posted(page))?.events).toEqual(inThread(rows.slice(0, 3)));
  });

  it('are refused when their columns disagree with their count', () => {
    const good = posted(encodeReadAheadPage(storedRows(), STREAM));
    const broken: EncodedPage[] = [
      { ...good, hashes: good.hashes.slice(1) },
      { ...good, hashes: good.hashes.map((h, i) => (i === 2 ? h.slice(1) : h)) },
      { ...good, data: '[1,2]' },
      { ...good, data: `${good.data.slice(0, -1)},{}]` },
      { ...good, data: 'not json' },
      { ...good, positions: good.positions.slice(1) },
      { ...good, types: good.types.map((t, i) => (i === 0 ? 999 : t)) },
      { ...good, eventIds: '' },
    ];
    for (const page of broken) expect(decodeReadAheadPage(page)).toBeNull();
  });
});

describe('checked-row pages (the PostgreSQL worker\'s)', () => {
  /** What the reader receives: the page after a structured clone, as postMessage delivers it. */
  const received = (page: CheckedRows): CheckedRows => structuredClone(page);

  it('decode to the events an in-thread read gives, rows of one stream or of several', () => {
    const rows = storedRows();
    expect(decodeCheckedRows(received(checkRows(rows, STREAM)))?.events).toEqual(inThread(rows));
    const across = rows.map(([position, revision, body, hash], i): StoredRowTuple => [position, revision, body, hash, i < 2 ? STREAM : 'portfolio-other']);
    const events = decodeCheckedRows(received(checkRows(across)))?.events;
    expect(events?.map((e) => e.stream)).toEqual(across.map((r) => r[4]));
    expect(events?.map((e) => e.data)).toEqual(inThread(rows).map((e) => (e as RecordedEvent).data));
  });

  it('stop before a row whose body does not match its hash, keeping the rows before it', () => {
    const rows = storedRows();
    const [position, revision, body, hash] = rows[3] as StoredRowTuple;
    rows[3] = [position, revision, body.replace('"10.5"', '"10.6"'), hash];
    const page = checkRows(rows, STREAM);
    expect(page.cut).toBe(true);
    expect(decodeCheckedRows(received(page))?.events).toEqual(inThread(rows.slice(0, 3)));
  });

  it('take rows up to their capacity, growing their buffer past its first size', () => {
    const rows = storedRows();
    const builder = new CheckedRowsBuilder(rows.length, STREAM, 1);
    for (const row of rows) expect(builder.add(row)).toBe(true);
    expect(builder.add(rows[0] as StoredRowTuple)).toBe(false);
    expect(builder.used).toBeGreaterThan(1024);
    expect(decodeCheckedRows(received(builder.finish().page))?.events).toEqual(inThread(rows));
  });

  it('are refused when their columns disagree with their count', () => {
    const good = received(checkRows(storedRows(), STREAM));
    const broken: CheckedRows[] = [
      { ...good, count: good.count + 1 },
      { ...good, ends: good.ends.map((end, i) => (i === 2 ? 10 : end)) },
      { ...good, bytes: good.bytes.subarray(0, 100) },
      { ...good, streams: [] },
    ];
    for (const page of broken) expect(decodeCheckedRows(page)).toBeNull();
  });
});

