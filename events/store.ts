// The EventStore port: what every adapter (memory, SQLite, EventStoreDB) promises.
import type { Observable } from 'rxjs';
import type { RecordedEvent, SealedEvent } from './envelope.js';
import type { ExpectedRevision } from './errors.js';
import type { WriterLock, WriterLockHolder } from './writerLock.js';

/** Options of an append. */
export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
}

/** One stream's part of an {@link EventStore.appendMany}: the same arguments as an `append`. */
export interface StreamAppend {
  readonly stream: string;
  readonly events: readonly SealedEvent[];
  readonly expectedRevision: ExpectedRevision;
}

/** What an append did: the stream's new last revision and the global position of its last event. */
export interface AppendResult {
  readonly nextExpectedRevision: number;
  readonly position: number;
}

/** Durability of an SQLite append: `full` fsyncs every append (paper trading), `normal` leaves it to WAL checkpoints (backtests). */
export type Durability = 'full' | 'normal';

/**
 * Small named documents kept beside the log in the same store (projection checkpoints, supervisor snapshots).
 * They are caches of what the log already says: losing one costs a refold, never a fact.
 */
export interface DocumentStore {
  /** The document saved under (collection, key), or null. */
  get(collection: string, key: string): Promise<string | null>;
  /** Saves (replaces) a document durably. */
  put(collection: string, key: string, value: string): Promise<void>;
  /** Removes a document (no error when absent). */
  delete(collection: string, key: string): Promise<void>;
  /** The keys of a collection, ascending (JavaScript string order), so a verifier can check every document. */
  list(collection: string): Promise<string[]>;
}

/**
 * An append-only log of streams. One stream per portfolio, written by one supervisor;
 * every read and subscription delivers events in order, without gaps or duplicates.
 */
export interface EventStore {
  /** The URL the store was opened with. */
  readonly url: string;
  /**
   * Whether an append completes on another thread or on a server, its promise settling only after a round trip
   * through the event loop (a SQLite store's writer thread, PostgreSQL, KurrentDB), rather than within the call
   * (absent: within the call). `Portfolio.run` then decides slices while the ones before them commit, its `onSlice`
   * trailing the slices decided meanwhile; otherwise it reports each slice before it decides the next.
   */
  readonly offThreadAppends?: boolean;
  /**
   * Appends `events` atomically (all or none) after checking the stream's revision.
   * Re-appending events already stored at the same revisions with the same ids returns the original result.
   * @throws WrongExpectedRevisionError when the stream is not at `expectedRevision`.
   * @throws InvalidEventError when an event is invalid (schema, hash, id, revision); nothing is written.
   */
  append(stream: string, events: readonly SealedEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams in one transaction, all or none: each write is decided by the rules of `append`, in
   * the order given (positions increase through the list; a stream may come more than once, each write after the one
   * before it), and a write that fails leaves nothing of any write stored. Returns one result per write.
   * KurrentDB has no transaction across streams: there the writes are appended one after another in the order given,
   * and a failure keeps the writes before it (a caller puts first what may stand alone: a live session's feed record,
   * which recovery applies when the portfolio's events after it are missing).
   * @throws WrongExpectedRevisionError / InvalidEventError as `append` does, for the first write that fails.
   */
  appendMany(writes: readonly StreamAppend[]): Promise<AppendResult[]>;
  /** Reads one stream from `fromRevision` (default 0), streaming. @throws CorruptEventError at the first bad row. */
  readStream(stream: string, options?: { readonly fromRevision?: number }): AsyncIterable<RecordedEvent>;
  /** Reads every stream in global order from `fromPosition` (inclusive; default the start), streaming. */
  readAll(options?: { readonly fromPosition?: number }): AsyncIterable<RecordedEvent>;
  /** Catches up from `fromPosition` (inclusive), then delivers new appends live, in order. */
  subscribe(options?: { readonly fromPosition?: number }): Observable<RecordedEvent>;
  /** The stream's last revision, or `'no_stream'`. */
  streamRevision(stream: string): Promise<number | 'no_stream'>;
  /** Names of all streams, ascending. */
  listStreams(): Promise<string[]>;
  /** Checkpoints and snapshots, stored with the log (in the SQLite file for `sqlite:` stores). */
  readonly documents: DocumentStore;
  /**
   * Takes the writer lock of `key` (a portfolio id) for this process, before anything is appended for it: a second
   * writer is refused at start, not at its first append. A lock whose holder is known to be dead (same host, no such
   * process) is taken over. Closing the store releases the locks it holds.
   * @throws WriterLockedError naming the holder (pid, host, since) when a live process holds it.
   */
  acquireWriterLock(key: string): Promise<WriterLock>;
  /**
   * Who holds the writer lock of `key` now, found without taking it (a look takes no lock, so a writer starting at
   * that moment is never refused because of it); null when it is free or its holder is known to be dead.
   */
  writerLockHolder(key: string): Promise<WriterLockHolder | null>;
  /**
   * Does now the upkeep the store would otherwise do inside a later append, when enough has been appended since the
   * last time to make it worth it. A caller with idle moments (a live session between slices) calls it then, so no
   * append waits for it. SQLite checkpoints its write-ahead log (copies it into the database file, with fsyncs of its
   * own); stores with no such upkeep do nothing. It never changes what a read returns. Optional, so a store of your own
   * (or a wrapper of one) need not have it: a caller skips it where it is missing.
   */
  maintain?(): Promise<void>;
  /** Releases the store (closes files, ends subscriptions). */
  close(): Promise<void>;
}
