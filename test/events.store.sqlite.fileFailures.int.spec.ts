// An SQLite store whose device fills up, or whose files are deleted or replaced while it is open: each write that fails
// says so naming the store and what to do, nothing acknowledged is lost, and nothing is written to a file no one can open.
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  StoreFileReplacedError,
  StoreFullError,
  StorePermissionError,
  openEventStore,
  portfolioStream,
  verifyChain,
  type ChainHead,
  type EventStore,
  type RecordedEvent,
} from '../events/index.js';
import { sqliteWriteError } from '../events/adapters/sqliteFailure.js';
import { exitCodeOf } from '../src/cli/exitCodes.js';
import { batchOf, genesis, sealBatch } from './fixtures/sampleEvents.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './fixtures/smallDisk.js';

const STREAM = portfolioStream('p');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-file-failures-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Appends batches of five events to the portfolio stream, one append each, remembering the chain's head. */
function appender(store: EventStore): { next: number; append: () => Promise<void> } {
  let head: ChainHead = genesis('p');
  const state = {
    next: 0,
    append: async () => {
      const sealed = sealBatch(head, state.next, 5);
      await store.append(STREAM, sealed.events, { expectedRevision: head.nextRevision - 1 < 0 ? 'no_stream' : head.nextRevision - 1 });
      head = sealed.head;
      state.next += 1;
    },
  };
  return state;
}

async function readAll(url: string): Promise<RecordedEvent[]> {
  const store = await openEventStore(url, { readOnly: true });
  try {
    const events: RecordedEvent[] = [];
    for await (const e of store.readStream(STREAM)) events.push(e);
    return events;
  } finally {
    await store.close();
  }
}

const batchesIn = (events: readonly RecordedEvent[]): number[] => [...new Set(events.map(batchOf))];

describe('an SQLite store whose file is deleted or replaced while it is open', () => {
  const cases: { name: string; file: string; change: 'delete' | 'replace'; writerThread: boolean }[] = [
    { name: 'the file deleted', file: '', change: 'delete', writerThread: false },
    { name: 'the file deleted, appends on the writer thread', file: '', change: 'delete', writerThread: true },
    { name: 'the file replaced by a copy of itself', file: '', change: 'replace', writerThread: false },
    { name: 'its -wal deleted', file: '-wal', change: 'delete', writerThread: false },
    { name: 'its -wal deleted, appends on the writer thread', file: '-wal', change: 'delete', writerThread: true },
    { name: 'its -shm deleted', file: '-shm', change: 'delete', writerThread: false },
  ];
  for (const c of cases) {
    it(`${c.name}: the next append fails naming the file, the log as committed is saved beside it, and nothing more is written`, async () => {
      const path = join(tempDir(), 'run.db');
      const store = await openEventStore(`sqlite:${path}`, { writerThread: c.writerThread });
      cleanups.push(() => store.close());
      const writes = appender(store);
      for (let i = 0; i < 3; i += 1) await writes.append();
      const target = `${path}${c.file}`;
      if (c.change === 'delete') {
        rmSync(target);
      } else {
        copyFileSync(target, `${target}.copy`);
        renameSync(`${target}.copy`, target);
      }

      const failed = await writes.append().then(() => null, (e: unknown) => e);
      expect(failed).toBeInstanceOf(StoreFileReplacedError);
      const error = failed as StoreFileReplacedError;
      expect(error.message).toContain(`event store sqlite:${path}: ${target} was ${c.change === 'delete' ? 'deleted' : 'replaced by another file'}`);
      expect(error.rescued).not.toBeNull();
      const rescued = error.rescued as string;
      expect(error.message).toContain(`saved to ${rescued}`);
      // A store that lost its file writes nothing more: not an append, not a document.
      await expect(writes.append()).rejects.toBe(error);
      await expect(store.documents.put('c', 'k', 'v')).rejects.toBe(error);
      await store.close();

      // The rescued copy is the log as this process committed it: every batch acknowledged, and the one refused.
      const saved = await readAll(`sqlite:${rescued}`);
      expect(batchesIn(saved)).toEqual([0, 1, 2, 3]);
      expect((await verifyChain(saved)).ok).toBe(true);
    });
  }

  it('the file replaced before the writer thread opened it: the first append fails naming the file, and the replacement gets nothing', async () => {
    const path = join(tempDir(), 'run.db');
    const store = await openEventStore(`sqlite:${path}`, { writerThread: true });
    cleanups.push(() => store.close());
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    const failed = await appender(store).append().then(() => null, (e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreFileReplacedError);
    expect((failed as Error).message).toContain(`event store sqlite:${path}: ${path} was replaced by another file`);
    await store.close();
    expect(await readAll(`sqlite:${path}`)).toEqual([]);
  });

  it('a store whose files stay in place is never taken for one that lost them (appends, documents, a checkpoint, reopening)', async () => {
    const path = join(tempDir(), 'run.db');
    for (let round = 0; round < 2; round += 1) {
      const store = await openEventStore(`sqlite:${path}`, { writerThread: round === 1 });
      const lock = await store.acquireWriterLock('p');
      const writes = appender(store);
      if (round === 0) for (let i = 0; i < 40; i += 1) await writes.append();
      await store.documents.put('c', `k${round}`, 'v');
      await store.maintain?.();
      await lock.release();
      await store.close();
    }
    expect(existsSync(`${path}.rescued-${process.pid}`)).toBe(false);
    expect(batchesIn(await readAll(`sqlite:${path}`))).toHaveLength(40);
  });
});

describe('an SQLite failure is told by what it means for the store', () => {
  it('SQLite full (the code a full disk and max_page_count both give): a StoreFullError naming the store, what was not stored and what to do', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x TEXT)');
    db.pragma('max_page_count = 3');
    let code = '';
    let message = '';
    try {
      for (let i = 0; i < 100; i += 1) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(1000));
    } catch (e) {
      code = (e as InstanceType<typeof Database.SqliteError>).code;
      message = (e as Error).message;
    }
    db.close();
    expect(code).toBe('SQLITE_FULL');
    const error = sqliteWriteError({ url: 'sqlite:/disk/run.db', path: '/disk/run.db', busyTimeoutMs: 10 }, 'append', code, message);
    expect(error).toBeInstanceOf(StoreFullError);
    expect(error?.message).toBe(
      'event store sqlite:/disk/run.db: no space left on the device that holds /disk/run.db: the append was not stored. What the store acknowledged ' +
        'before is kept. Free space there (or move the store to a larger disk with `stratafolio copy`), then run the same command again (a backtest ' +
        'or paper session resumes after the last slice stored)',
    );
  });
});

describe('an SQLite store this process may not write', () => {
  it('SQLite read-only (a file SQLite opened read-only without a word): a StorePermissionError, exit 2, naming the store, why and what to do', () => {
    const path = join(tempDir(), 'run.db');
    new Database(path).exec('CREATE TABLE t (x TEXT)');
    const db = new Database(path, { readonly: true });
    let code = '';
    let message = '';
    try {
      db.prepare("INSERT INTO t VALUES ('x')").run();
    } catch (e) {
      code = (e as InstanceType<typeof Database.SqliteError>).code;
      message = (e as Error).message;
    }
    db.close();
    expect(code).toBe('SQLITE_READONLY');
    const error = sqliteWriteError({ url: `sqlite:${path}`, path, busyTimeoutMs: 10 }, 'writer lock', code, message);
    expect(error).toBeInstanceOf(StorePermissionError);
    expect(exitCodeOf(error)).toBe(2);
    // As root every mode allows the write, so the reason is SQLite's own; as another user it is the file's mode.
    expect(error?.message).toMatch(
      new RegExp(`^event store sqlite:${path} cannot be written: (permission denied: ${path} cannot be written|SQLite may not write it \\(attempt to write a readonly database\\)); the writer lock was not taken, so nothing was written\\. Make ${path}, its -wal and -shm files and its folder writable by this user`),
    );
  });
});

describe.skipIf(smallDiskUnavailable !== null)(`an SQLite store on a disk that fills up${smallDiskUnavailable === null ? '' : ` — SKIPPED: ${smallDiskUnavailable}`}`, () => {
  for (const writerThread of [false, true]) {
    it(`appends${writerThread ? ' on the writer thread' : ''} until the disk is full: StoreFullError naming the store; every append acknowledged is there, releasing the writer lock does not fail, and once space is freed the same store goes on`, async () => {
      const disk: SmallDisk = mountSmallDisk(1024);
      cleanups.push(() => disk.unmount());
      const path = join(disk.dir, 'run.db');
      const url = `sqlite:${path}`;
      const store = await openEventStore(url, { writerThread });
      cleanups.push(() => store.close());
      const lock = await store.acquireWriterLock('p');
      const writes = appender(store);
      let failure: unknown = null;
      while (failure === null && writes.next < 10_000) failure = await writes.append().then(() => null, (e: unknown) => e);
      expect(failure).toBeInstanceOf(StoreFullError);
      expect((failure as Error).message).toContain(`event store ${url}: no space left on the device that holds ${path}: the append was not stored`);
      const acknowledged = writes.next;
      expect(acknowledged).toBeGreaterThan(10);
      await expect(store.documents.put('c', 'k', 'x'.repeat(300_000))).rejects.toBeInstanceOf(StoreFullError);
      // Released in a run's finally: a release that failed here would hide the error that ended the run.
      await expect(lock.release()).resolves.toBeUndefined();

      const before = await readAll(url);
      expect(batchesIn(before)).toEqual(Array.from({ length: acknowledged }, (_, i) => i));
      expect((await verifyChain(before)).ok).toBe(true);

      disk.resize(8192);
      await writes.append();
      await store.documents.put('c', 'k', 'v');
      await store.close();
      expect(batchesIn(await readAll(url))).toHaveLength(acknowledged + 1);
    });
  }
});
