// The in-memory EventStore adapter (tests, throwaway runs): the same rules as SQLite, nothing survives the process.
import type { Observable } from 'rxjs';
import { decodeReuse, type RecordedEvent, type SealedEvent } from '../envelope.js';
import type { AppendOptions, AppendResult, DocumentStore, EventStore, StreamAppend } from '../store.js';
import { appendBatch, encodeWrites, type AppendTarget, type EncodedEvent, type StoredEventRef } from './appendRules.js';
import { catchUpSubscription, decodeRow, type LiveSubscription, type PagedLog } from './catchUpSubscription.js';
import { pagedRead } from './pagedRead.js';
import { StoreClosedError } from './storeClosedError.js';
import { WriterLockedError, currentHolder, type WriterLock, type WriterLockHolder } from '../writerLock.js';

/** One stored row of a memory log: the same columns the SQLite adapter keeps. */
export interface MemoryRow {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  body: string;
  hash: string;
}

/**
 * The data behind memory stores. Stores opened on the same log share it (like two connections to one file);
 * rows are stored encoded and decoded on every read, so a caller mutating an event never changes the log.
 */
export class MemoryLog {
  /** Rows in position order; position = index + 1. Tests may rewrite a row's body or hash to simulate corruption. */
  readonly rows: MemoryRow[] = [];
  readonly documents = new Map<string, string>();
  /** Writer locks by key: the holder lives in this process, so a lock is held until released or its store closed. */
  readonly writerLocks = new Map<string, WriterLockHolder>();
  private readonly byEventId = new Map<string, MemoryRow>();
  private readonly streams = new Map<string, MemoryRow[]>();
  private readonly listeners = new Set<() => void>();

  /** The rows of one stream, in revision order. */
  streamRows(stream: string): readonly MemoryRow[] {
    return this.streams.get(stream) ?? [];
  }

  /** Names of all streams. */
  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** The append target of this log (synchronous, so a whole append is atomic). */
  target(): AppendTarget {
    return {
      eventById: (eventId): StoredEventRef | null => {
        const row = this.byEventId.get(eventId);
        return row ? { stream: row.stream, revision: row.revision, hash: row.hash, position: row.position } : null;
      },
      streamHead: (stream) => {
        const rows = this.streams.get(stream);
        const last = rows?.[rows.length - 1];
        return last ? { revision: last.revision, hash: last.hash, position: last.position } : null;
      },
      insert: (stream, encoded) => this.insert(stream, encoded),
    };
  }

  /** Runs `write` as one transaction: when it throws, every row it inserted is removed again. */
  atomically<T>(write: () => T): T {
    const before = this.rows.length;
    try {
      return write();
    } catch (e) {
      for (const row of this.rows.splice(before)) {
        this.byEventId.delete(row.eventId);
        const rows = this.streams.get(row.stream);
        rows?.pop();
        if (rows?.length === 0) this.streams.delete(row.stream);
      }
      throw e;
    }
  }

  /** Registers a callback run after every append; returns the unregister function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells subscribers that rows were appended. */
  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private insert(stream: string, encoded: readonly EncodedEvent[]): number | null {
    // Checked before anything is stored: an append is all or nothing.
    for (const e of encoded) if (this.byEventId.has(e.eventId)) return null;
    let rows = this.streams.get(stream);
    if (!rows) {
      rows = [];
      this.streams.set(stream, rows);
    }
    for (const e of encoded) {
      const row: MemoryRow = { position: this.rows.length + 1, stream, ...e };
      this.rows.push(row);
      rows.push(row);
      this.byEventId.set(e.eventId, row);
    }
    return this.rows.length;
  }
}

/** Options of a memory store. */
export interface MemoryStoreOptions {
  /** Share a log between stores (e.g. to reopen a store or simulate a second writer); a fresh one by default. */
  readonly log?: MemoryLog;
  /** The URL reported by `store.url` (default `memory:`). */
  readonly url?: string;
}

const PAGE_SIZE = 1000;

/** Opens an in-memory event store. */
export function createMemoryEventStore(options: MemoryStoreOptions = {}): EventStore {
  const log = options.log ?? new MemoryLog();
  const url = options.url ?? 'memory:';
  const live = new Set<LiveSubscription>();
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError(url);
  };
  const readPage = (afterPosition: number, limit: number): readonly MemoryRow[] => {
    ensureOpen();
    return log.rows.slice(Math.max(0, afterPosition), Math.max(0, afterPosition) + limit);
  };
  const pagedLog: PagedLog = {
    readPage,
    onAppend: (listener) => log.onAppend(listener),
  };

  const documents: DocumentStore = {
    get: async (collection, key) => {
      ensureOpen();
      return log.documents.get(documentKey(collection, key)) ?? null;
    },
    put: async (collection, key, value) => {
      ensureOpen();
      log.documents.set(documentKey(collection, key), value);
    },
    delete: async (collection, key) => {
      ensureOpen();
      log.documents.delete(documentKey(collection, key));
    },
    list: async (collection) => {
      ensureOpen();
      const prefix = documentKey(collection, '');
      return [...log.documents.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort(byCodeUnits);
    },
  };

  /** Appends writes as one transaction: all of them, or none when one fails. */
  const appendWrites = async (writes: readonly StreamAppend[]): Promise<AppendResult[]> => {
    ensureOpen();
    const encoded = encodeWrites(writes);
    const before = log.rows.length;
    const target = log.target();
    const results = log.atomically(() => encoded.map((w) => appendBatch(target, w.stream, w.rows, w.expectedRevision)));
    if (log.rows.length > before) log.notify();
    return results;
  };

  const heldLocks = new Set<() => void>();
  return {
    url,
    offThreadAppends: false,
    documents,
    async acquireWriterLock(key: string): Promise<WriterLock> {
      ensureOpen();
      const other = log.writerLocks.get(key);
      if (other !== undefined) throw new WriterLockedError(key, other, url);
      const holder = currentHolder();
      log.writerLocks.set(key, holder);
      const release = (): void => {
        heldLocks.delete(release);
        if (log.writerLocks.get(key) === holder) log.writerLocks.delete(key);
      };
      heldLocks.add(release);
      return { key, holder, release: async () => release() };
    },
    async writerLockHolder(key: string): Promise<WriterLockHolder | null> {
      ensureOpen();
      return log.writerLocks.get(key) ?? null;
    },
    async append(stream: string, events: readonly SealedEvent[], opts: AppendOptions): Promise<AppendResult> {
      const [result] = await appendWrites([{ stream, events, expectedRevision: opts.expectedRevision }]);
      return result as AppendResult;
    },
    appendMany: appendWrites,
    readStream(stream: string, opts: { readonly fromRevision?: number } = {}): AsyncIterable<RecordedEvent> {
      // Revisions are contiguous from 0, so revision r sits at index r; re-read the array each page to see appends.
      let index = Math.max(0, opts.fromRevision ?? 0);
      const reuse = decodeReuse();
      return pagedRead(
        () => {
          ensureOpen();
          const rows = log.streamRows(stream).slice(index, index + PAGE_SIZE);
          index += rows.length;
          return { rows, more: rows.length === PAGE_SIZE };
        },
        (row) => decodeRow(row, reuse),
      );
    },
    readAll(opts: { readonly fromPosition?: number } = {}): AsyncIterable<RecordedEvent> {
      let after = Math.max(0, (opts.fromPosition ?? 1) - 1);
      const reuse = decodeReuse();
      return pagedRead(
        () => {
          const rows = readPage(after, PAGE_SIZE);
          const last = rows[rows.length - 1];
          if (last) after = last.position;
          return { rows, more: rows.length === PAGE_SIZE };
        },
        (row) => decodeRow(row, reuse),
      );
    },
    subscribe(opts: { readonly fromPosition?: number } = {}): Observable<RecordedEvent> {
      ensureOpen();
      return catchUpSubscription(pagedLog, Math.max(1, opts.fromPosition ?? 1), live);
    },
    async streamRevision(stream: string): Promise<number | 'no_stream'> {
      ensureOpen();
      const rows = log.streamRows(stream);
      const last = rows[rows.length - 1];
      return last ? last.revision : 'no_stream';
    },
    async listStreams(): Promise<string[]> {
      ensureOpen();
      return log.streamNames().sort();
    },
    /** Nothing is kept anywhere but in memory: there is no upkeep. */
    async maintain(): Promise<void> {},
    async close(): Promise<void> {
      if (closed) return;
      for (const release of [...heldLocks]) release();
      for (const sub of [...live]) sub.complete();
      closed = true;
    },
  };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function documentKey(collection: string, key: string): string {
  return `${collection}\u0000${key}`;
}
