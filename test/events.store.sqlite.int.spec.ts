// Runs the EventStore contract against SQLite files, plus what only a file can show: URLs, reopen, raw upcast rows.
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CURRENT_VERSION,
  StoreBusyError,
  StoreConfigError,
  canonicalJson,
  domainEvent,
  portfolioStream,
  sealEvents,
  eventIdFor,
  GENESIS_HASH,
  openEventStore,
  sha256Hex,
  type ReadAheadOptions,
  type RecordedEvent,
} from '../events/index.js';
import { collect, eventStoreContract, type EventStoreHarness } from './contract/eventStore.contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A contract harness over one SQLite file; `readAhead` is passed to every connection. */
function sqliteHarness(readAhead?: ReadAheadOptions, writerThread = false): () => Promise<EventStoreHarness> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratafolio-contract-'));
    const file = join(dir, 'store.db');
    return {
      // Each open is its own better-sqlite3 connection to the file, like a second process.
      open: () => openEventStore(`sqlite:${file}`, { ...(readAhead ? { readAhead } : {}), ...(writerThread ? { writerThread } : {}) }),
      rewrite: async (position, change) => {
        const raw = new Database(file);
        try {
          const row = raw.prepare<[number], { body: string; hash: string }>('SELECT body, hash FROM events WHERE position = ?').get(position);
          if (!row) throw new Error(`no row at position ${position}`);
          const next = change(row);
          raw.prepare('UPDATE events SET body = ?, hash = ? WHERE position = ?').run(next.body, next.hash, position);
        } finally {
          raw.close();
        }
      },
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  };
}

eventStoreContract('sqlite', sqliteHarness());
// The same contract with every read served by a read-ahead worker from its first row, two rows a page.
eventStoreContract('sqlite, reads through the read-ahead worker', sqliteHarness({ afterRows: 0, pageSize: 2 }));
// The same contract with every append made on the store's writer thread: conflicts, retries and errors come back typed.
eventStoreContract('sqlite, appends on the writer thread', sqliteHarness(undefined, true));

describe('openEventStore with sqlite: URLs', () => {
  it('resolves a relative path against cwd, creates parent folders, and reopens the same file by absolute path', async () => {
    const dir = tempDir();
    const store = await openEventStore('sqlite:./runs/nested/demo.db?durability=normal', { cwd: dir });
    expect(store.url).toBe('sqlite:./runs/nested/demo.db?durability=normal');
    await store.documents.put('c', 'k', 'v');
    await store.close();
    expect(existsSync(join(dir, 'runs', 'nested', 'demo.db'))).toBe(true);
    const again = await openEventStore(`sqlite:${join(dir, 'runs', 'nested', 'demo.db')}`, { durability: 'full' });
    expect(await again.documents.get('c', 'k')).toBe('v');
    await again.close();
  });

  it('uses the documented schema: WAL journal, positions, unique ids and (stream, revision), documents table', async () => {
    const dir = tempDir();
    const file = join(dir, 's.db');
    await (await openEventStore(`sqlite:${file}`)).close();
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(1);
      const cols = raw.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'events\')').all().map((c) => c.name);
      expect(cols).toEqual(['position', 'stream', 'revision', 'event_id', 'type', 'body', 'hash']);
      const docCols = raw.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'documents\')').all().map((c) => c.name);
      expect(docCols).toEqual(['collection', 'key', 'value']);
    } finally {
      raw.close();
    }
  });

  it('refuses a file that is not an SQLite database with StoreConfigError naming the URL', async () => {
    const dir = tempDir();
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are not the pages you are looking for '.repeat(200));
    const url = `sqlite:${file}`;
    await expect(openEventStore(url)).rejects.toBeInstanceOf(StoreConfigError);
    await expect(openEventStore(url)).rejects.toThrow(url);
  });

  it('refuses a store written by a newer schema version', async () => {
    const dir = tempDir();
    const file = join(dir, 'future.db');
    const raw = new Database(file);
    raw.pragma('application_id = 0x53464c4f');
    raw.pragma('user_version = 9');
    raw.close();
    await expect(openEventStore(`sqlite:${file}`)).rejects.toThrow(/schema version 9 is newer/);
  });

  it('upcasts a FillRecorded v1 row (stored by hand with a correct hash) to v2 on read', async () => {
    const dir = tempDir();
    const file = join(dir, 'v1.db');
    await (await openEventStore(`sqlite:${file}`)).close();
    const metadata = {
      eventId: eventIdFor('old', 0),
      portfolioId: 'old',
      revision: 0,
      barTime: '2023-05-01T14:30:00.000Z',
      schemaVersion: 1,
      prevHash: GENESIS_HASH,
    };
    const data = { orderId: 'o1', strategyId: 's1', symbol: 'MSFT', quantity: '-3', price: '310.5', commission: '0.7' };
    const body = canonicalJson({ type: 'FillRecorded', data, metadata });
    const raw = new Database(file);
    raw
      .prepare('INSERT INTO events (stream, revision, event_id, type, body, hash) VALUES (?, ?, ?, ?, ?, ?)')
      .run('portfolio-old', 0, metadata.eventId, 'FillRecorded', body, sha256Hex(body));
    raw.close();
    const store = await openEventStore(`sqlite:${file}`);
    const [event] = (await collect(store.readStream('portfolio-old'))) as RecordedEvent[];
    await store.close();
    expect(CURRENT_VERSION.FillRecorded).toBe(2);
    expect(event?.data).toEqual({ ...data, slippage: '0' });
    expect(event?.metadata.schemaVersion).toBe(1);
    expect(event?.metadata.hash).toBe(sha256Hex(body));
  });

  it('fails an append or a document write that waits past busyTimeoutMs with StoreBusyError naming the store, and writes nothing', async () => {
    const file = join(tempDir(), 'busy.db');
    const url = `sqlite:${file}`;
    const store = await openEventStore(url, { busyTimeoutMs: 50 });
    const stream = portfolioStream('busy');
    const { events } = sealEvents({ portfolioId: 'busy', nextRevision: 0, prevHash: GENESIS_HASH }, [
      { event: domainEvent('CapitalTransferred', { from: 'reserve', to: 's1', amount: '10', reason: 'test', rebalanceId: null }), barTime: null },
    ]);
    // Another process holding the write lock.
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const append = store.append(stream, events, { expectedRevision: 'no_stream' });
      await expect(append).rejects.toBeInstanceOf(StoreBusyError);
      await expect(store.append(stream, events, { expectedRevision: 'no_stream' })).rejects.toThrow(
        `event store ${url} stayed locked by another writer for more than 50 ms; nothing was written`,
      );
      await expect(store.documents.put('c', 'k', 'v')).rejects.toBeInstanceOf(StoreBusyError);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await store.streamRevision(stream)).toBe('no_stream');
    expect(await store.documents.get('c', 'k')).toBeNull();
    // Once the lock is gone the same append goes through.
    await store.append(stream, events, { expectedRevision: 'no_stream' });
    expect(await store.streamRevision(stream)).toBe(0);
    await store.close();
  });

  for (const writerThread of [false, true]) {
    it(`maintain checkpoints the write-ahead log into the database file once enough was appended, and only then${writerThread ? ' (writer thread)' : ''}`, async () => {
      const file = join(tempDir(), 'upkeep.db');
      const store = await openEventStore(`sqlite:${file}`, { writerThread });
      const stream = portfolioStream('upkeep');
      let head = { portfolioId: 'upkeep', nextRevision: 0, prevHash: GENESIS_HASH };
      const appendOne = async (): Promise<void> => {
        const { events, head: next } = sealEvents(head, [
          { event: domainEvent('CapitalTransferred', { from: 'reserve', to: 's1', amount: '10', reason: 'x'.repeat(500), rebalanceId: null }), barTime: null },
        ]);
        await store.append(stream, events, { expectedRevision: head.nextRevision === 0 ? 'no_stream' : head.nextRevision - 1 });
        head = next;
      };
      // The file holds only what the schema wrote until a checkpoint copies the log's pages into it.
      const fileBytes = (): number => statSync(file).size;
      for (let i = 0; i < 3; i += 1) await appendOne();
      const before = fileBytes();
      await store.maintain?.();
      expect(fileBytes()).toBe(before);
      for (let i = 0; i < 40; i += 1) await appendOne();
      expect(fileBytes()).toBe(before);
      await store.maintain?.();
      expect(fileBytes()).toBeGreaterThan(before);
      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.prepare('SELECT count(*) FROM events').pluck().get()).toBe(43);
      } finally {
        raw.close();
      }
      await store.close();
      const reader = await openEventStore(`sqlite:${file}`, { readOnly: true });
      await reader.maintain?.();
      await reader.close();
    });
  }

  it('on the writer thread, a document written after an append is committed after it (a snapshot never lands before its slice), and a locked store fails it typed', async () => {
    const file = join(tempDir(), 'ordered.db');
    const store = await openEventStore(`sqlite:${file}`, { writerThread: true, busyTimeoutMs: 50 });
    const stream = portfolioStream('ordered');
    const { events } = sealEvents({ portfolioId: 'ordered', nextRevision: 0, prevHash: GENESIS_HASH }, [
      { event: domainEvent('CapitalTransferred', { from: 'reserve', to: 's1', amount: '10', reason: 'test', rebalanceId: null }), barTime: null },
    ]);
    const settled: string[] = [];
    const append = store.append(stream, events, { expectedRevision: 'no_stream' }).then(() => settled.push('append'));
    const put = store.documents.put('snapshots', stream, 'after the append').then(() => settled.push('document'));
    await Promise.all([append, put]);
    expect(settled).toEqual(['append', 'document']);
    const other = new Database(file);
    try {
      expect(other.prepare('SELECT value FROM documents WHERE collection = ? AND key = ?').pluck().get('snapshots', stream)).toBe('after the append');
      other.prepare('BEGIN IMMEDIATE').run();
      await expect(store.documents.put('snapshots', stream, 'blocked')).rejects.toBeInstanceOf(StoreBusyError);
      await expect(store.documents.delete('snapshots', stream)).rejects.toBeInstanceOf(StoreBusyError);
      other.prepare('ROLLBACK').run();
    } finally {
      other.close();
    }
    await store.documents.delete('snapshots', stream);
    expect(await store.documents.get('snapshots', stream)).toBeNull();
    await store.close();
  });
});
