// A store's writer thread: appends go to a worker with its own connection, so the caller computes while SQLite writes.
import { startAdapterThread } from './adapterThread.js';
import type { AppendOptions, AppendResult, Durability } from '../store.js';
import { InvalidEventError, StoreConfigError, WrongExpectedRevisionError, type ExpectedRevision } from '../errors.js';
import { StratafolioError } from '../../src/errors.js';
import type { EncodedEvent, EncodedWrite } from './appendRules.js';
import type { FileIdentity } from './sqliteFileWatch.js';
import { sqliteWriteError, type SqliteStoreFile, type SqliteWriteKind } from './sqliteFailure.js';

/** What the writer thread is started with. */
export interface WriterWorkerData {
  readonly path: string;
  /**
   * The store file's identity when the store opened it: the thread opens the file by its path at the first write, and
   * writes nothing into another file found there by then (one that replaced it).
   */
  readonly identity: FileIdentity | null;
  readonly durability: Durability;
  readonly busyTimeoutMs: number;
}

/**
 * One stream's batch of an append, as posted to the writer thread: the rows' strings joined into one (eventId, type,
 * body, hash, prevHash per row, NUL-separated) and their revisions apart. Cloning one long string is a copy, where a
 * row object per event was cloned field by field: main-thread CPU of the 100-strategy run 6.04 → 5.48 s (median of 3
 * interleaved pairs). No field holds a NUL: bodies are canonical JSON, which escapes control characters, and the
 * short fields are checked.
 */
export interface PackedWrite {
  readonly stream: string;
  readonly revisions: readonly number[];
  readonly fields: string;
  readonly expectedRevision: AppendOptions['expectedRevision'];
}

/** One append (of one or more streams, committed together), as posted to the writer thread. */
export interface AppendRequest {
  readonly kind: 'append';
  readonly id: number;
  readonly writes: readonly PackedWrite[];
}

/** A document written (value) or deleted (null), as posted to the writer thread: after the appends posted before it. */
export interface DocumentRequest {
  readonly kind: 'document';
  readonly id: number;
  readonly collection: string;
  readonly key: string;
  readonly value: string | null;
}

/** A checkpoint of the write-ahead log, as posted to the writer thread: after the appends posted before it. */
export interface CheckpointRequest {
  readonly kind: 'checkpoint';
  readonly id: number;
}

/** What the writer thread is asked to do, in the order posted. */
export type WriteRequest = AppendRequest | DocumentRequest | CheckpointRequest;

const SEPARATOR = '\u0000';

/** The request fields of `rows`. @throws InvalidEventError when a short field holds a NUL. */
function packRows(rows: readonly EncodedEvent[]): { revisions: number[]; fields: string } {
  const revisions = new Array<number>(rows.length);
  const parts = new Array<string>(rows.length * 5);
  for (let i = 0, p = 0; i < rows.length; i += 1, p += 5) {
    const r = rows[i] as EncodedEvent;
    if (r.eventId.includes(SEPARATOR) || r.type.includes(SEPARATOR) || r.hash.includes(SEPARATOR) || r.prevHash.includes(SEPARATOR)) {
      throw new InvalidEventError(`event at revision ${r.revision} has a NUL character in its id, type or hash`);
    }
    revisions[i] = r.revision;
    parts[p] = r.eventId;
    parts[p + 1] = r.type;
    parts[p + 2] = r.body;
    parts[p + 3] = r.hash;
    parts[p + 4] = r.prevHash;
  }
  return { revisions, fields: parts.join(SEPARATOR) };
}

/** The writes of a request, as the append takes them (in the writer thread). */
export function unpackWrites(request: AppendRequest): EncodedWrite[] {
  return request.writes.map((w) => {
    const parts = w.fields.split(SEPARATOR);
    const rows = w.revisions.map((revision, i) => ({
      revision,
      eventId: parts[i * 5] as string,
      type: parts[i * 5 + 1] as string,
      body: parts[i * 5 + 2] as string,
      hash: parts[i * 5 + 3] as string,
      prevHash: parts[i * 5 + 4] as string,
    }));
    return { stream: w.stream, rows, expectedRevision: w.expectedRevision };
  });
}

/** The writer thread's answer to one append. */
export type WriteReply =
  | { readonly id: number; readonly ok: true; readonly results: AppendResult[] }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error:
        | { readonly kind: 'wrongRevision'; readonly stream: string; readonly expected: ExpectedRevision; readonly actual: number | 'no_stream' }
        | { readonly kind: 'sqlite'; readonly code: string; readonly message: string }
        | { readonly kind: 'invalid' | 'config' | 'other'; readonly message: string };
    };

/** Appends through the writer thread, answered in the order posted. */
export interface SqliteWriter {
  /** Commits the writes together (one transaction), after every append posted before. */
  append(writes: readonly EncodedWrite[]): Promise<AppendResult[]>;
  /** Writes (or, with null, deletes) a document, after every append posted before. */
  putDocument(collection: string, key: string, value: string | null): Promise<void>;
  /** Checkpoints the write-ahead log on the thread's connection, after every append posted before. */
  checkpoint(): Promise<void>;
  /** Waits for the appends and documents posted, then ends the thread. */
  close(): Promise<void>;
}

/** Starts a writer thread on the store file at `path`. */
export function sqliteWriter(data: WriterWorkerData, url: string): SqliteWriter {
  const worker = startAdapterThread('sqliteWriteWorker', data);
  // Kept alive only while an append is in flight: a store left open must not hang the process, as the connection does not.
  worker.unref();
  const file: SqliteStoreFile = { url, path: data.path, busyTimeoutMs: data.busyTimeoutMs };
  const waiting = new Map<number, { write: SqliteWriteKind; resolve: (r: AppendResult[]) => void; reject: (e: unknown) => void }>();
  const inflight = new Set<Promise<AppendResult[]>>();
  /** Posts a request and waits for its reply (the results of an append; none for a document). */
  const post = (request: (id: number) => WriteRequest): Promise<AppendResult[]> => {
    const id = nextId++;
    const done = new Promise<AppendResult[]>((resolve, reject) => {
      if (waiting.size === 0) worker.ref();
      const posted = request(id);
      waiting.set(id, { write: posted.kind, resolve, reject });
      worker.postMessage(posted);
    });
    inflight.add(done);
    const forget = (): void => void inflight.delete(done);
    done.then(forget, forget);
    return done;
  };
  let nextId = 0;
  let failure: unknown = null;
  const failAll = (e: unknown): void => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (reply: WriteReply) => {
    const w = waiting.get(reply.id);
    if (!w) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if (reply.ok) w.resolve(reply.results);
    else w.reject(errorOf(reply.error, file, w.write));
  });
  worker.on('error', (e) => failAll(new StratafolioError(`event store ${url}: the writer thread failed (${e.message}); nothing after the last acknowledged append was written`)));
  worker.on('exit', () => failAll(new StratafolioError(`event store ${url}: the writer thread stopped`)));
  return {
    append(writes) {
      if (failure !== null) return Promise.reject(failure);
      let packed: PackedWrite[];
      try {
        packed = writes.map((w) => ({ stream: w.stream, ...packRows(w.rows), expectedRevision: w.expectedRevision }));
      } catch (e) {
        return Promise.reject(e);
      }
      return post((id) => ({ kind: 'append', id, writes: packed }));
    },
    async putDocument(collection, key, value) {
      if (failure !== null) throw failure;
      await post((id) => ({ kind: 'document', id, collection, key, value }));
    },
    async checkpoint() {
      if (failure !== null) throw failure;
      await post((id) => ({ kind: 'checkpoint', id }));
    },
    async close() {
      await Promise.allSettled(inflight);
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      // Held until it has closed its connection, or the process could end with the close pending.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}

function errorOf(error: Extract<WriteReply, { ok: false }>['error'], file: SqliteStoreFile, write: SqliteWriteKind): Error {
  switch (error.kind) {
    case 'wrongRevision':
      return new WrongExpectedRevisionError(error.stream, error.expected, error.actual);
    case 'sqlite':
      return sqliteWriteError(file, write, error.code, error.message) ?? new StratafolioError(`event store ${file.url}: ${write} failed (${error.message})`);
    case 'invalid':
      return new InvalidEventError(error.message);
    case 'config':
      return new StoreConfigError(error.message);
    default:
      return new StratafolioError(`event store ${file.url}: ${write} failed (${error.message})`);
  }
}
