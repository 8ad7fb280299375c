// Long SQLite reads served by the read-ahead worker: the same events, in the same order, with the same errors as in-thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CorruptEventError,
  GENESIS_HASH,
  StoreClosedError,
  canonicalJson,
  domainEvent,
  eventIdFor,
  openEventStore,
  portfolioStream,
  readBatches,
  sealEvents,
  sha256Hex,
  type EventStore,
  type ReadAheadOptions,
  type RecordedEvent,
} from '../events/index.js';
import type { PageResult } from '../events/adapters/pagedRead.js';
import { pagedRead } from '../events/adapters/pagedRead.js';
import { readAheadPages, type ReadAheadQuery } from '../events/adapters/sqliteReadAhead.js';
import { collect, collectUntilError } from './contract/eventStore.contract.js';
import { genesis, sealBatch } from './fixtures/sampleEvents.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A store file holding what a reader meets: two portfolios' interleaved batches (fills and bar marks), events without
 * a bar time, a portfolio id whose JSON needs escapes, and a FillRecorded v1 row stored by hand (decoded in full).
 */
async function mixedLog(batches: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-readahead-'));
  dirs.push(dir);
  const file = join(dir, 'log.db');
  const store = await openEventStore(`sqlite:${file}`, { durability: 'normal' });
  let a = genesis('pa');
  let b = genesis('pb "quoted"');
  for (let n = 0; n < batches; n += 1) {
    const sa = sealBatch(a, n, 4);
    await store.append(portfolioStream('pa'), sa.events, { expectedRevision: n === 0 ? 'no_stream' : a.nextRevision - 1 });
    a = sa.head;
    const sb =
      n % 3 === 0
        ? sealEvents(b, [{ event: domainEvent('CapitalTransferred', { from: 'reserve', to: 's1', amount: '10', reason: 'top-up', rebalanceId: null }), barTime: null }])
        : sealBatch(b, n, 2);
    await store.append(portfolioStream(b.portfolioId), sb.events, { expectedRevision: n === 0 ? 'no_stream' : b.nextRevision - 1 });
    b = sb.head;
  }
  await store.close();
  const metadata = { eventId: eventIdFor('old', 0), portfolioId: 'old', revision: 0, barTime: '2023-05-01T14:30:00.000Z', schemaVersion: 1, prevHash: GENESIS_HASH };
  const data = { orderId: 'o1', strategyId: 's1', symbol: 'MSFT', quantity: '-3', price: '310.5', commission: '0.7' };
  const body = canonicalJson({ type: 'FillRecorded', data, metadata });
  const raw = new Database(file);
  raw.prepare('INSERT INTO events (stream, revision, event_id, type, body, hash) VALUES (?, ?, ?, ?, ?, ?)').run('portfolio-old', 0, metadata.eventId, 'FillRecorded', body, sha256Hex(body));
  raw.close();
  return file;
}

async function withStore<T>(file: string, readAhead: ReadAheadOptions | false, body: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openEventStore(`sqlite:${file}`, { readAhead });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** A read of `file` whose every page must come from the worker: the in-thread path throws if it is ever taken. */
function workerOnlyRead(file: string, query: ReadAheadQuery, pageSize: number): AsyncIterable<RecordedEvent> {
  const pages = readAheadPages<never>({
    path: file,
    options: { afterRows: 0, pageSize },
    query: () => query,
    inThread: () => {
      throw new Error('the read fell back to the in-thread path');
    },
    advance: () => undefined,
    track: () => undefined,
  });
  return pagedRead<never>(pages.nextPage as () => PageResult<never>, () => {
    throw new Error('no raw rows expected');
  }, pages.stop);
}

describe('read-ahead reads of an SQLite log', () => {
  it('the worker serves every page of readAll and readStream with exactly the events an in-thread read decodes', async () => {
    const file = await mixedLog(12);
    const inThread = await withStore(file, false, async (store) => ({
      all: await collect(store.readAll()),
      quoted: await collect(store.readStream(portfolioStream('pb "quoted"'), { fromRevision: 3 })),
    }));
    expect(inThread.all.some((e) => e.metadata.schemaVersion === 1)).toBe(true);
    expect(inThread.all.some((e) => e.metadata.barTime === null)).toBe(true);
    for (const pageSize of [1, 2, 3, 7, 100]) {
      expect(await collect(workerOnlyRead(file, { kind: 'all', afterPosition: 0 }, pageSize))).toEqual(inThread.all);
      expect(
        await collect(workerOnlyRead(file, { kind: 'stream', stream: portfolioStream('pb "quoted"'), fromRevision: 3 }, pageSize)),
      ).toEqual(inThread.quoted);
    }
  });

  it('a read moves to the worker part-way (after the rows it read in-thread) and continues where they ended', async () => {
    const file = await mixedLog(420); // 2 520 rows: the first in-thread page holds 1 000
    const expected = await withStore(file, false, (store) => collect(store.readAll()));
    const got = await withStore(file, { afterRows: 1000, pageSize: 64 }, (store) => collect(store.readAll()));
    expect(got).toEqual(expected);
    const stream = await withStore(file, { afterRows: 1000, pageSize: 64 }, (store) => collect(store.readStream(portfolioStream('pa'), { fromRevision: 5 })));
    expect(stream).toEqual(expected.filter((e) => e.stream === portfolioStream('pa') && e.metadata.revision >= 5));
  });

  it('an altered row ends the worker\'s pages; the read delivers the rows before it, then raises CorruptEventError at it', async () => {
    const file = await mixedLog(6);
    const all = await withStore(file, false, (store) => collect(store.readAll()));
    const at = all.findIndex((e, i) => i >= 9 && e.type === 'FillRecorded');
    const bad = all[at] as RecordedEvent;
    const raw = new Database(file);
    raw.prepare("UPDATE events SET body = replace(body, '187.25', '187.26') WHERE position = ?").run(bad.position);
    raw.close();
    const read = await withStore(file, { afterRows: 0, pageSize: 4 }, (store) => collectUntilError(store.readAll()));
    expect(read.events).toEqual(all.slice(0, at));
    expect(read.error).toBeInstanceOf(CorruptEventError);
    expect((read.error as CorruptEventError).location).toEqual({ stream: bad.stream, revision: bad.metadata.revision, position: bad.position });
  });

  it('readBatches hands over whole pages: the same events in order, and a corrupt row fails after the rows before it', async () => {
    const file = await mixedLog(8);
    const expected = await withStore(file, false, (store) => collect(store.readAll()));
    for (const readAhead of [false, { afterRows: 0, pageSize: 5 }] as const) {
      const batches = await withStore(file, readAhead, async (store) => {
        const out: (readonly RecordedEvent[])[] = [];
        for await (const batch of readBatches(store.readAll())) out.push(batch);
        return out;
      });
      expect(batches.every((b) => b.length > 0)).toBe(true);
      expect(batches.flat()).toEqual(expected);
    }
    const bad = expected.findIndex((e, i) => i >= 13 && e.type === 'FillRecorded');
    const raw = new Database(file);
    raw.prepare("UPDATE events SET body = replace(body, '187.25', '187.26') WHERE position = ?").run((expected[bad] as RecordedEvent).position);
    raw.close();
    for (const readAhead of [false, { afterRows: 0, pageSize: 5 }] as const) {
      const seen: RecordedEvent[] = [];
      const error = await withStore(file, readAhead, async (store) => {
        try {
          for await (const batch of readBatches(store.readAll())) seen.push(...batch);
        } catch (e) {
          return e;
        }
        return null;
      });
      expect(seen).toEqual(expected.slice(0, bad));
      expect(error).toBeInstanceOf(CorruptEventError);
    }
  });

  it('a worker that cannot run warns, and the read goes on in-thread with the same events', async () => {
    const file = await mixedLog(3);
    const expected = await withStore(file, false, (store) => collect(store.readAll()));
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const pages = readAheadPages<RecordedEvent>({
        path: join(file, '..', 'missing.db'),
        options: { afterRows: 0, pageSize: 2 },
        query: () => ({ kind: 'all', afterPosition: 0 }),
        inThread: () => ({ rows: expected, more: false }),
        advance: () => undefined,
        track: () => undefined,
      });
      expect(await collect(pagedRead(pages.nextPage, (e) => e, pages.stop))).toEqual(expected);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([expect.stringMatching(/read-ahead worker failed \(.*missing\.db: unable to open/)]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a read that says how long it is starts its worker at once, ahead: this thread reads up to the worker\'s first row, the worker the rest', async () => {
    const file = await mixedLog(10); // 61 rows
    const expected = await withStore(file, false, (store) => collect(store.readAll()));
    const cases = [
      { total: expected.length, options: { afterRows: 10, pageSize: 4 }, worker: true },
      // Nothing past row 10: no worker.
      { total: 10, options: { afterRows: 10, pageSize: 4 }, worker: false },
      // Shorter than minRows: no worker, even past afterRows.
      { total: expected.length, options: { afterRows: 10, pageSize: 4, minRows: expected.length }, worker: false },
    ];
    for (const { total, options, worker } of cases) {
      const log = expected.slice(0, total);
      let cursor = 0;
      const bounds: (ReadAheadQuery | null)[] = [];
      const inThreadPositions: number[] = [];
      const pages = readAheadPages<RecordedEvent>({
        path: file,
        options,
        query: () => ({ kind: 'all', afterPosition: cursor }),
        inThread: (before) => {
          bounds.push(before);
          const upTo = before?.kind === 'all' ? before.afterPosition : Infinity;
          const rows = log.filter((e) => e.position > cursor && e.position <= upTo).slice(0, 3);
          cursor = rows[rows.length - 1]?.position ?? cursor;
          inThreadPositions.push(...rows.map((e) => e.position));
          return { rows, more: rows.length === 3 };
        },
        advance: (last) => {
          cursor = last.position;
        },
        track: () => undefined,
        ahead: {
          rowsLeft: async () => log.length - cursor,
          query: (rows) => ({ kind: 'all', afterPosition: cursor + rows }),
        },
      });
      expect(await collect(pagedRead(pages.nextPage, (e) => e, pages.stop))).toEqual(log);
      if (worker) {
        // The first page unbounded, then every in-thread page bounded by the worker's first row, which is row 11.
        expect(bounds[0]).toBeNull();
        expect(bounds.slice(1)).toEqual(bounds.slice(1).map(() => ({ kind: 'all', afterPosition: 10 })));
        expect(inThreadPositions).toEqual(log.slice(0, 10).map((e) => e.position));
      } else {
        expect(bounds.every((b) => b === null)).toBe(true);
        expect(inThreadPositions).toEqual(log.map((e) => e.position));
      }
    }
  });

  it('a reader that stops early or a store closed mid-read ends the worker: close resolves and the next read fails with StoreClosedError', async () => {
    const file = await mixedLog(30);
    const store = await openEventStore(`sqlite:${file}`, { readAhead: { afterRows: 0, pageSize: 3 } });
    const first: RecordedEvent[] = [];
    for await (const e of store.readAll()) {
      first.push(e);
      if (first.length === 4) break;
    }
    expect(first.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    const iterator = store.readStream(portfolioStream('pa'))[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await store.close();
    // Events of the page already delivered may still come; the read then fails instead of waiting on a stopped worker.
    let failure: unknown = null;
    for (let i = 0; i < 10 && failure === null; i += 1) {
      await iterator.next().catch((e: unknown) => {
        failure = e;
      });
    }
    expect(failure).toBeInstanceOf(StoreClosedError);
  });
});
