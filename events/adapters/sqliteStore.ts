// The SQLite EventStore adapter (better-sqlite3, WAL): one file holds the log and the documents; processes may share it.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Observable } from 'rxjs';
import { decodeReuse, decodeStoredAt, type RecordedEvent, type SealedEvent } from '../envelope.js';
import { StoreConfigError, StoreReadOnlyError, type StoreFileReplacedError } from '../errors.js';
import { whyNotWritable } from '../../src/fileAccess.js';
import type { AppendOptions, AppendResult, DocumentStore, Durability, EventStore, StreamAppend } from '../store.js';
import { encodeWrites, type StreamHead } from './appendRules.js';
import { sqliteAppend } from './sqliteAppend.js';
import { sqliteWriteError, type SqliteStoreFile, type SqliteWriteKind } from './sqliteFailure.js';
import { lostFileError, watchStoreFiles } from './sqliteFileWatch.js';
import { checkpointWal } from './sqliteCheckpoint.js';
import { sqliteDocumentWrites, type SqliteDocumentWrites } from './sqliteDocumentWrites.js';
import { sqliteWriter, type SqliteWriter } from './sqliteWriter.js';
import { catchUpSubscription, type LiveSubscription, type PagedLog, type StoredRow } from './catchUpSubscription.js';
import { pagedRead } from './pagedRead.js';
import { readAheadPages, type ReadAheadOptions } from './sqliteReadAhead.js';
import { StoreClosedError } from './storeClosedError.js';
import { WriterLockedError, currentHolder, holderIsDead, type WriterLock, type WriterLockHolder } from '../writerLock.js';

/** Options of an SQLite store. */
export interface SqliteStoreOptions {
  /** `full` (default) fsyncs every append; `normal` trusts WAL checkpoints (a crash may lose the last appends, never corrupt). */
  readonly durability?: Durability;
  /** How often an idle subscription looks for appends made by other connections (ms, default 25). */
  readonly pollIntervalMs?: number;
  /** How long a writer waits for another connection's lock before failing with StoreBusyError (ms, default 10000). */
  readonly busyTimeoutMs?: number;
  /** The URL reported by `store.url` (default `sqlite:<path>`). */
  readonly url?: string;
  /**
   * Long reads (`readStream`, `readAll`) go on in a worker thread after this many rows read in-thread (default 20 000),
   * so fetching and hash checks overlap decoding and folding; false reads every row in-thread.
   */
  readonly readAhead?: ReadAheadOptions | false;
  /**
   * Opens an existing store for reading only: nothing in the file is ever changed, a missing file is an error, and
   * appends and document writes fail with StoreReadOnlyError. Works on a read-only file or filesystem.
   */
  readonly readOnly?: boolean;
  /** The file must already be a stratafolio store: one without the schema (an empty file included) is refused, not set up. */
  readonly existing?: boolean;
  /**
   * Appends run on a writer thread with its own connection (file stores only): `append` resolves when the batch is
   * committed, as always, but the caller's thread is free meanwhile, so a caller that computes its next batch before
   * awaiting the last one (the engine's `run`) overlaps the two. Appends are committed in the order they are made.
   */
  readonly writerThread?: boolean;
}

/** Version of the table layout below, kept in PRAGMA user_version. */
export const SQLITE_SCHEMA_VERSION = 1;

/** PRAGMA application_id of a stratafolio store ("SFLO"), set when a store is created; stores made before it hold 0. */
export const SQLITE_APPLICATION_ID = 0x53464c4f;

/** The tables of a store and the columns each must have: a file whose tables differ is another application's. */
const STORE_TABLES: ReadonlyMap<string, readonly string[]> = new Map([
  ['events', ['position', 'stream', 'revision', 'event_id', 'type', 'body', 'hash']],
  ['documents', ['collection', 'key', 'value']],
]);

/**
 * Tables a store creates when first needed (the writer lock's), so a store may or may not hold them yet; with the columns
 * every version's table has (the lock's identity columns came later, see LOCK_IDENTITY_COLUMNS).
 */
const OPTIONAL_STORE_TABLES: ReadonlyMap<string, readonly string[]> = new Map([['writer_locks', ['key', 'pid', 'host', 'since']]]);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  stream   TEXT    NOT NULL,
  revision INTEGER NOT NULL,
  event_id TEXT    NOT NULL,
  type     TEXT    NOT NULL,
  body     TEXT    NOT NULL,
  hash     TEXT    NOT NULL,
  UNIQUE (event_id),
  UNIQUE (stream, revision)
);
CREATE TABLE IF NOT EXISTS documents (
  collection TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (collection, key)
) WITHOUT ROWID;
`;

const LOCK_SCHEMA = `
CREATE TABLE IF NOT EXISTS writer_locks (
  key        TEXT    PRIMARY KEY,
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  since      TEXT    NOT NULL,
  boot_id    TEXT,
  start_time INTEGER
) WITHOUT ROWID;
`;

/**
 * The holder's identity beside its pid (see `holderIsDead`), added to a lock table made before it was recorded. Columns
 * rather than text folded into `host` or `since`: those are shown in the refusal, and an earlier version reading the
 * row would show the identity as part of them. Nullable, so the rows an earlier version writes beside this one (it names
 * its four columns) read as locks without identity, judged by pid as that version judges them.
 */
const LOCK_IDENTITY_COLUMNS: readonly (readonly [string, string])[] = [
  ['boot_id', 'TEXT'],
  ['start_time', 'INTEGER'],
];

/** A lock row as stored: the identity columns are missing from a table no lock of this version was taken in. */
interface LockRow {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly boot_id?: string | null;
  readonly start_time?: number | null;
}

function holderOfRow(row: LockRow): WriterLockHolder {
  return {
    pid: row.pid,
    host: row.host,
    since: row.since,
    ...(typeof row.boot_id === 'string' ? { bootId: row.boot_id } : {}),
    ...(typeof row.start_time === 'number' ? { startTime: row.start_time } : {}),
  };
}

/**
 * `maintain` checkpoints once this many commits, or this many bytes, were written since the last checkpoint: far below
 * the 1,000 pages (≈ 4 MB) at which SQLite checkpoints inside a commit, so a caller that calls it between appends keeps
 * every checkpoint out of them. Inside a commit one costs 2–7 ms: 14 of 2,857 small commits took over 3 ms, none once
 * checkpointed between them. Paper bench, slices that only mark: p99 5.08 → 4.37 ms (medians of 5 interleaved runs).
 */
const CHECKPOINT_AFTER_COMMITS = 32;
const CHECKPOINT_AFTER_BYTES = 512 * 1024;

const PAGE_SIZE = 1000;
/** Rows read in-thread before a long read moves to a worker: short reads never pay the worker's start (≈ 30 ms). */
const READ_AHEAD_AFTER_ROWS = 20_000;
/** A row of a stream read: position, revision, body, hash. */
type RawStreamRow = [number, number, string, string];
/** A row of a read across streams: position, stream, revision, body, hash. */
type RawRow = [number, string, number, string, string];

/**
 * Opens (creating if needed, with its parent folders) an SQLite event store at `path`.
 * @throws StoreConfigError when the file cannot be opened as a stratafolio store.
 */
export function openSqliteEventStore(path: string, options: SqliteStoreOptions = {}): EventStore {
  const url = options.url ?? `sqlite:${path}`;
  const durability = options.durability ?? 'full';
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 10_000));
  const readOnly = options.readOnly === true;
  const opened = readOnly ? openReadOnly(path, url) : { db: openDatabase(path, url, durability, busyTimeoutMs, options.existing === true), readPath: path, cleanup: () => {} };
  const db = opened.db;
  const file: SqliteStoreFile = { url, path, busyTimeoutMs };
  // Files deleted or replaced under the connection are noticed after each write (a file store written to only).
  const watch = readOnly || path === ':memory:' || path === '' ? null : watchStoreFiles(path);
  let lost: StoreFileReplacedError | null = null;
  const refuseWrite = (): void => {
    if (readOnly) throw new StoreReadOnlyError(url);
    if (lost !== null) throw lost;
  };
  // SQLite's own words ("database is locked", "database or disk is full") name neither the store nor what to do.
  const translated = <T>(write: SqliteWriteKind, run: () => T): T => {
    try {
      return run();
    } catch (e) {
      throw (e instanceof Database.SqliteError ? sqliteWriteError(file, write, e.code, e.message) : null) ?? e;
    }
  };
  /** After a write: the files it went to must still be the store's, or it reached a file no other process can open. */
  // Writes in flight together (the writer thread's appends, documents) that find the change share one rescue.
  let rescue: Promise<StoreFileReplacedError> | null = null;
  const checkFiles = async (): Promise<void> => {
    if (rescue === null) {
      const change = watch?.changed() ?? null;
      if (change === null) return;
      rescue = lostFileError(db, url, path, change);
    }
    lost ??= await rescue;
    throw lost;
  };

  const stmt = {
    head: db.prepare<[string], StreamHead>(
      'SELECT revision, hash, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
    ),
    pageAll: db.prepare<[number, number], StoredRow>(
      'SELECT position, stream, revision, body, hash FROM events WHERE position > ? ORDER BY position LIMIT ?',
    ),
    // Reads return rows as arrays (.raw()): no object per row, and the stream is the one asked for.
    pageStream: db
      .prepare<[string, number, number], RawStreamRow>(
        'SELECT position, revision, body, hash FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
      )
      .raw(true),
    pageAllRaw: db
      .prepare<[number, number], RawRow>('SELECT position, stream, revision, body, hash FROM events WHERE position > ? ORDER BY position LIMIT ?')
      .raw(true),
    // Walks the (stream, revision) index one stream at a time instead of scanning every event.
    streams: db.prepare<[], { name: string }>(
      `WITH RECURSIVE s(name) AS (
         SELECT MIN(stream) FROM events
         UNION ALL
         SELECT (SELECT MIN(stream) FROM events WHERE stream > s.name) FROM s WHERE s.name IS NOT NULL
       ) SELECT name FROM s WHERE name IS NOT NULL`,
    ),
    getDoc: db.prepare<[string, string], { value: string }>('SELECT value FROM documents WHERE collection = ? AND key = ?'),
    listDocs: db.prepare<[string], { key: string }>('SELECT key FROM documents WHERE collection = ?'),
    dataVersion: db.prepare<[], { data_version: number }>('PRAGMA data_version'),
  };

  const appendHere = sqliteAppend(db);
  let documentsHere: SqliteDocumentWrites | null = null;
  // Appends and document writes on a file go through a writer thread when asked (started at the first write, ended at
  // close): a recovery snapshot of a 100-strategy backtest (2.3 MB) then no longer blocks the engine while it is written.
  const writerThreadPath = options.writerThread === true && !readOnly && path !== ':memory:' && path !== '' ? path : null;
  let writer: SqliteWriter | null = null;
  const writerThread = (at: string): SqliteWriter => (writer ??= sqliteWriter({ path: at, durability, busyTimeoutMs, identity: watch?.opened ?? null }, url));
  /** A write through the writer thread; one it refused because the file changed fails as the store's watch names it. */
  const onWriter = async <T>(write: (w: SqliteWriter) => Promise<T>, at: string): Promise<T> => {
    try {
      return await write(writerThread(at));
    } catch (e) {
      await checkFiles();
      throw e;
    }
  };
  /** Writes (or, with null, deletes) a document, on the writer thread when the store has one: after the appends before it. */
  const writeDocument = async (collection: string, key: string, value: string | null): Promise<void> => {
    ensureOpen();
    refuseWrite();
    written(value?.length ?? 0);
    if (writerThreadPath !== null) {
      await onWriter((w) => w.putDocument(collection, key, value), writerThreadPath);
    } else {
      const here = (documentsHere ??= sqliteDocumentWrites(db));
      translated('document', () => (value === null ? here.delete(collection, key) : here.put(collection, key, value)));
    }
    await checkFiles();
  };

  const readAhead = options.readAhead ?? { afterRows: READ_AHEAD_AFTER_ROWS };
  // A worker opens the file by name, so an in-memory database is read in-thread.
  const workerPath = path === ':memory:' || path === '' ? null : opened.readPath;
  // Workers of reads in progress, stopped when the store closes.
  const readAheads = new Set<() => void>();
  const trackReadAhead = (): ((stop: (() => void) | null) => void) => {
    let current: (() => void) | null = null;
    return (stop) => {
      if (current !== null) readAheads.delete(current);
      current = stop;
      if (stop !== null) readAheads.add(stop);
    };
  };

  // What was written since the last checkpoint, which decides whether `maintain` has one to do.
  const sinceCheckpoint = { commits: 0, bytes: 0 };
  const written = (bytes: number): void => {
    sinceCheckpoint.commits += 1;
    sinceCheckpoint.bytes += bytes;
  };

  const appendListeners = new Set<() => void>();
  /** Commits writes in one transaction, on the writer thread when the store has one. */
  const appendWrites = async (writes: readonly StreamAppend[]): Promise<AppendResult[]> => {
    ensureOpen();
    refuseWrite();
    const encoded = encodeWrites(writes);
    let bytes = 0;
    for (const w of encoded) for (const r of w.rows) bytes += r.body.length;
    written(bytes);
    let results: AppendResult[];
    if (writerThreadPath !== null) {
      results = await onWriter((w) => w.append(encoded), writerThreadPath);
      ensureOpen();
    } else {
      results = translated('append', () => appendHere(encoded));
    }
    await checkFiles();
    for (const listener of [...appendListeners]) listener();
    return results;
  };
  const live = new Set<LiveSubscription>();
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError(url);
  };

  const pagedLog: PagedLog = {
    readPage: (afterPosition, limit) => {
      ensureOpen();
      return stmt.pageAll.all(afterPosition, limit);
    },
    onAppend: (listener) => {
      appendListeners.add(listener);
      return () => appendListeners.delete(listener);
    },
    externalPoll: {
      intervalMs: pollIntervalMs,
      // data_version changes when another connection commits; appends on this one arrive through onAppend.
      // Each subscription keeps its own last-seen value, so one subscription's poll cannot hide a change from another.
      watch: () => {
        let seen = -1;
        return () => {
          if (closed) return true;
          const now = stmt.dataVersion.get()?.data_version ?? -1;
          const changed = now !== seen;
          seen = now;
          return changed;
        };
      },
    },
  };

  const documents: DocumentStore = {
    get: async (collection, key) => {
      ensureOpen();
      return stmt.getDoc.get(collection, key)?.value ?? null;
    },
    put: (collection, key, value) => writeDocument(collection, key, value),
    delete: (collection, key) => writeDocument(collection, key, null),
    list: async (collection) => {
      ensureOpen();
      // JavaScript's string order, as the port says (SQLite's byte order differs past U+FFFF).
      return stmt.listDocs.all(collection).map((r) => r.key).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };

  // Writer locks are rows of their own table, created on first use so stores written before it need no migration (and
  // given the identity columns on first use where an earlier version created it).
  // Taken in an IMMEDIATE transaction: of two processes starting at once, exactly one sees no live holder.
  const heldLocks = new Set<() => void>();
  const acquireLockTx = db.transaction((key: string, holder: WriterLockHolder): WriterLockHolder | null => {
    db.exec(LOCK_SCHEMA);
    const columns = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('writer_locks')").all().map((c) => c.name));
    for (const [column, type] of LOCK_IDENTITY_COLUMNS) if (!columns.has(column)) db.exec(`ALTER TABLE writer_locks ADD COLUMN ${column} ${type}`);
    const row = db.prepare<[string], LockRow>('SELECT pid, host, since, boot_id, start_time FROM writer_locks WHERE key = ?').get(key);
    if (row !== undefined && !holderIsDead(holderOfRow(row))) return holderOfRow(row);
    db.prepare('INSERT OR REPLACE INTO writer_locks (key, pid, host, since, boot_id, start_time) VALUES (?, ?, ?, ?, ?, ?)').run(
      key,
      holder.pid,
      holder.host,
      holder.since,
      holder.bootId ?? null,
      holder.startTime ?? null,
    );
    return null;
  });

  return {
    url,
    offThreadAppends: writerThreadPath !== null,
    documents,
    async acquireWriterLock(key: string): Promise<WriterLock> {
      ensureOpen();
      const holder = currentHolder();
      refuseWrite();
      const other = translated('writer lock', () => acquireLockTx.immediate(key, holder));
      if (other !== null) throw new WriterLockedError(key, other, url, other.host === hostname() ? undefined : foreignHolderRemedy(path, key));
      await checkFiles();
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        heldLocks.delete(release);
        if (closed) return;
        try {
          db.prepare('DELETE FROM writer_locks WHERE key = ? AND pid = ? AND host = ? AND since = ?').run(key, holder.pid, holder.host, holder.since);
        } catch {
          // A row left behind (a full disk, a busy or lost file) is taken over as stale at the next start, once this
          // process has ended; failing here would hide the error that ended the run (release runs in its finally).
        }
      };
      heldLocks.add(release);
      return { key, holder, release: async () => release() };
    },
    async writerLockHolder(key: string): Promise<WriterLockHolder | null> {
      ensureOpen();
      // A plain read: in WAL mode it waits for no writer, and it works on a store opened read-only.
      const hasTable = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'writer_locks'").get();
      if ((hasTable?.n ?? 0) === 0) return null;
      // Every column: a table no lock of this version was taken in has no identity columns, and a look adds none.
      const row = db.prepare<[string], LockRow>('SELECT * FROM writer_locks WHERE key = ?').get(key);
      if (row === undefined) return null;
      const holder = holderOfRow(row);
      return holderIsDead(holder) ? null : holder;
    },
    async append(stream: string, events: readonly SealedEvent[], opts: AppendOptions): Promise<AppendResult> {
      const [result] = await appendWrites([{ stream, events, expectedRevision: opts.expectedRevision }]);
      return result as AppendResult;
    },
    appendMany: (writes: readonly StreamAppend[]): Promise<AppendResult[]> => appendWrites(writes),
    readStream(stream: string, opts: { readonly fromRevision?: number } = {}): AsyncIterable<RecordedEvent> {
      let from = Math.max(0, opts.fromRevision ?? 0);
      const reuse = decodeReuse();
      const pages = readAheadPages<RawStreamRow>({
        path: workerPath,
        options: readAhead,
        query: () => ({ kind: 'stream', stream, fromRevision: from }),
        inThread: () => {
          ensureOpen();
          // A page is fetched whole (.all) so no statement stays busy while the consumer holds the iterator.
          const rows = stmt.pageStream.all(stream, from, PAGE_SIZE);
          const last = rows[rows.length - 1];
          if (last) from = last[1] + 1;
          return { rows, more: rows.length === PAGE_SIZE };
        },
        advance: (last) => {
          from = last.metadata.revision + 1;
        },
        track: trackReadAhead(),
      });
      return pagedRead(() => {
        ensureOpen();
        return pages.nextPage();
      }, (row) => decodeStoredAt(row[2], row[3], stream, row[1], row[0], reuse), pages.stop);
    },
    readAll(opts: { readonly fromPosition?: number } = {}): AsyncIterable<RecordedEvent> {
      let after = Math.max(0, (opts.fromPosition ?? 1) - 1);
      const reuse = decodeReuse();
      const pages = readAheadPages<RawRow>({
        path: workerPath,
        options: readAhead,
        query: () => ({ kind: 'all', afterPosition: after }),
        inThread: () => {
          ensureOpen();
          const rows = stmt.pageAllRaw.all(after, PAGE_SIZE);
          const last = rows[rows.length - 1];
          if (last) after = last[0];
          return { rows, more: rows.length === PAGE_SIZE };
        },
        advance: (last) => {
          after = last.position;
        },
        track: trackReadAhead(),
      });
      return pagedRead(() => {
        ensureOpen();
        return pages.nextPage();
      }, (row) => decodeStoredAt(row[3], row[4], row[1], row[2], row[0], reuse), pages.stop);
    },
    subscribe(opts: { readonly fromPosition?: number } = {}): Observable<RecordedEvent> {
      ensureOpen();
      return catchUpSubscription(pagedLog, Math.max(1, opts.fromPosition ?? 1), live);
    },
    async streamRevision(stream: string): Promise<number | 'no_stream'> {
      ensureOpen();
      const head = stmt.head.get(stream);
      return head ? head.revision : 'no_stream';
    },
    async listStreams(): Promise<string[]> {
      ensureOpen();
      // SQLite orders by UTF-8 bytes; the port promises JavaScript's order (UTF-16 code units), which differs past U+FFFF.
      return stmt.streams.all().map((r) => r.name).sort();
    },
    async maintain(): Promise<void> {
      if (closed || readOnly) return;
      if (sinceCheckpoint.commits < CHECKPOINT_AFTER_COMMITS && sinceCheckpoint.bytes < CHECKPOINT_AFTER_BYTES) return;
      sinceCheckpoint.commits = 0;
      sinceCheckpoint.bytes = 0;
      if (writerThreadPath !== null) await onWriter((w) => w.checkpoint(), writerThreadPath);
      else translated('checkpoint', () => checkpointWal(db));
    },
    async close(): Promise<void> {
      if (closed) return;
      for (const release of [...heldLocks]) release();
      for (const sub of [...live]) sub.complete();
      for (const stop of [...readAheads]) stop();
      closed = true;
      await writer?.close();
      db.close();
      opened.cleanup();
    },
  };
}

/**
 * Why an opened SQLite file is not a stratafolio store, or null when it is one (or is empty, ready to become one).
 * Read before anything is written, so another application's database is refused unchanged.
 */
function notAStore(db: Database.Database, version: number): string | null {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  // A store made by a later stratafolio has a layout this one cannot check; its application id says it is one.
  if (applicationId === SQLITE_APPLICATION_ID && version > SQLITE_SCHEMA_VERSION) return null;
  if (applicationId !== 0 && applicationId !== SQLITE_APPLICATION_ID) return `its application_id is ${applicationId}, not stratafolio's`;
  const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((t) => t.name);
  if (version === 0 && tables.length === 0) return null;
  if (version === 0) return `it holds tables (${tables.slice(0, 5).join(', ')}) but no stratafolio schema version`;
  if (version > SQLITE_SCHEMA_VERSION) return `its user_version is ${version} without stratafolio's application_id`;
  for (const [table, columns] of STORE_TABLES) {
    if (!tables.includes(table)) return `it has no ${table} table`;
    const have = new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
    const missing = columns.filter((c) => !have.has(c));
    if (missing.length > 0) return `its ${table} table lacks ${missing.join(', ')}`;
  }
  for (const [table, columns] of OPTIONAL_STORE_TABLES) {
    if (!tables.includes(table)) continue;
    const have = new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
    const missing = columns.filter((c) => !have.has(c));
    if (missing.length > 0) return `its ${table} table lacks ${missing.join(', ')}`;
  }
  const extra = tables.filter((t) => !STORE_TABLES.has(t) && !OPTIONAL_STORE_TABLES.has(t));
  if (extra.length > 0) return `it holds tables a store does not have (${extra.slice(0, 5).join(', ')})`;
  return null;
}

function refuseForeign(url: string, path: string, why: string): StoreConfigError {
  return new StoreConfigError(`${url}: "${path}" is not a stratafolio event store (${why}); it was left unchanged. Choose another path`);
}

function checkVersion(url: string, version: number): void {
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new StoreConfigError(
      `${url}: the store's schema version ${version} is newer than this stratafolio understands (${SQLITE_SCHEMA_VERSION}); upgrade stratafolio`,
    );
  }
}

/**
 * Creates the missing folders down to `folder`, one at a time. Node's recursive mkdir retries for ever where mkdir
 * fails with ENOENT under a folder that exists (as in /proc): one at a time, that failure is an error to report.
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  for (let f = folder; !existsSync(f); f = dirname(f)) {
    missing.push(f);
    if (dirname(f) === f) break;
  }
  for (const f of missing.reverse()) {
    try {
      mkdirSync(f);
    } catch (e) {
      // Made meanwhile by another process opening the same store.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function openDatabase(path: string, url: string, durability: Durability, busyTimeoutMs: number, existing: boolean): Database.Database {
  let db: Database.Database | null = null;
  // Files this open creates, removed again when it fails: a full disk must not leave an empty "store" behind.
  const created = [path, `${path}-wal`, `${path}-shm`].filter((f) => !existsSync(f));
  try {
    if (existing && !existsSync(path)) throw new StoreConfigError(`${url}: no such file ${path}`);
    makeFolders(dirname(path));
    db = new Database(path, existing ? { fileMustExist: true } : {});
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const foreign = existing && version === 0 ? 'it holds no stratafolio schema' : notAStore(db, version);
    if (foreign !== null) throw refuseForeign(url, path, foreign);
    checkVersion(url, version);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    if (version < SQLITE_SCHEMA_VERSION) {
      db.transaction(() => {
        // Checked again under the write lock: another process may have created tables since.
        const again = notAStore(db as Database.Database, db?.pragma('user_version', { simple: true }) as number);
        if (again !== null) throw refuseForeign(url, path, again);
        db?.exec(SCHEMA);
        db?.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
        db?.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      }).immediate();
    }
    return db;
  } catch (e) {
    db?.close();
    if (created.includes(path) && existsSync(path) && statSync(path).size === 0) for (const f of created) rmSync(f, { force: true });
    if (e instanceof StoreConfigError) throw e;
    // A full or failing device is not the path's fault: said as such, with what to do.
    if (e instanceof Database.SqliteError && (e.code === 'SQLITE_FULL' || e.code.startsWith('SQLITE_IOERR'))) {
      throw sqliteWriteError({ url, path, busyTimeoutMs }, 'open', e.code, e.message) ?? e;
    }
    // SQLite says only "unable to open database file": the file's and its folder's access tell why, when they can.
    const why = whyNotWritable(path, { createsFolders: true });
    throw new StoreConfigError(`${url}: cannot open "${path}" as an SQLite event store${why === null ? '' : `: ${why}`} (${(e as Error).message})`);
  }
}

/** A read-only connection, the path its read-ahead workers open, and what to remove when the store closes. */
interface ReadOnlyDatabase {
  readonly db: Database.Database;
  readonly readPath: string;
  readonly cleanup: () => void;
}

/**
 * Opens an existing store read-only. SQLite reads a WAL-mode file only beside its shared-memory index (`-shm`), which
 * it cannot create on a read-only filesystem; there the file (and its `-wal`, if any) is read from a private copy in
 * the temporary folder, removed on close. The file itself is never written.
 */
function openReadOnly(path: string, url: string): ReadOnlyDatabase {
  if (!existsSync(path)) throw new StoreConfigError(`${url}: no such file ${path}`);
  const check = (db: Database.Database): Database.Database => {
    const version = db.pragma('user_version', { simple: true }) as number;
    const foreign = version === 0 ? 'it holds no stratafolio schema' : notAStore(db, version);
    if (foreign !== null) throw refuseForeign(url, path, foreign);
    checkVersion(url, version);
    return db;
  };
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return { db: check(db), readPath: path, cleanup: () => {} };
  } catch (e) {
    db?.close();
    if (e instanceof StoreConfigError) throw e;
    if (!(e instanceof Database.SqliteError) || !/^SQLITE_(CANTOPEN|IOERR|READONLY)/.test(e.code)) {
      throw new StoreConfigError(`${url}: cannot open "${path}" as an SQLite event store (${(e as Error).message})`);
    }
  }
  const folder = mkdtempSync(join(tmpdir(), 'stratafolio-ro-'));
  const cleanup = (): void => rmSync(folder, { recursive: true, force: true });
  try {
    const copy = join(folder, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    db = new Database(copy, { readonly: true, fileMustExist: true });
    return { db: check(db), readPath: copy, cleanup };
  } catch (e) {
    db?.close();
    cleanup();
    if (e instanceof StoreConfigError) throw e;
    throw new StoreConfigError(`${url}: cannot open "${path}" read-only as an SQLite event store (${(e as Error).message})`);
  }
}

/**
 * What to do about a lock row naming another host. The file is on this machine (SQLite's locking needs it), so such a
 * row was left by a container with another host name sharing the volume, or came with a copied file: nothing here can
 * tell whether its process still runs, so it is never taken over, and the refusal says how to remove it.
 */
function foreignHolderRemedy(path: string, key: string): string {
  const sql = `DELETE FROM writer_locks WHERE key = '${key.replaceAll("'", "''")}'`;
  return (
    'a lock held on another host is never taken over from here (this host cannot tell whether that process still runs): ' +
    `stop that process, or, if it is gone (its machine or container was replaced, or the file was copied from there), remove its lock with sqlite3 ${JSON.stringify(path)} "${sql}" and start again`
  );
}
