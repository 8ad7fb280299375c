// Read-ahead for long SQLite reads: a worker thread fetches pages and checks hashes while this thread decodes and folds.
// It buys the projections bench's engine-shaped rebuild 148.8k → 222k events/s (docs/event-store.md, docs/projections.md).
import type { Worker } from 'node:worker_threads';
import { startAdapterThread, type AdapterThreadModule } from './adapterThread.js';
import type { RecordedEvent } from '../envelope.js';
import type { DecodedPage, PageResult, ReadPage } from './pagedRead.js';
import type { CheckedRows } from './checkedRows.js';
import { decodeCheckedRows, decodeReadAheadPage, type EncodedPage } from './readAheadPage.js';
import type { ReadAheadWorkerData } from './sqliteReadWorker.js';

/** Where a worker read starts: one stream from a revision, or the whole log after a position. */
export type ReadAheadQuery =
  | { readonly kind: 'stream'; readonly stream: string; readonly fromRevision: number }
  | { readonly kind: 'all'; readonly afterPosition: number };

/** What a worker posts: an encoded page (SQLite's), rows it checked (PostgreSQL's), or that it failed (the reader then reads on in-thread). */
export type ReadAheadMessage =
  | { readonly kind: 'page'; readonly page: EncodedPage; readonly more: boolean }
  | { readonly kind: 'rows'; readonly page: CheckedRows; readonly more: boolean }
  | { readonly kind: 'failed'; readonly reason: string };

/** When reads go to a worker: after `afterRows` rows read in-thread (false: never). */
export interface ReadAheadOptions {
  readonly afterRows: number;
  /**
   * A store that can tell how long a read is (PostgreSQL) starts a worker only for a read of more rows than this
   * (default 0: any read past `afterRows`); its worker still takes over at row `afterRows`.
   */
  readonly minRows?: number;
  /** Rows per worker page (default 2 048). */
  readonly pageSize?: number;
  /** Pages the worker may read ahead of the reader (default 4): bounds the memory a read holds. */
  readonly pagesAhead?: number;
}

/** A read-ahead worker module and what it starts with. */
export interface ReadAheadWorkerStart {
  readonly module: Extract<AdapterThreadModule, 'sqliteReadWorker' | 'postgresReadWorker'>;
  readonly data: unknown;
}

/** Why a stopped worker's pending read ends: not a fault. */
const STOPPED = 'stopped';

/** One read served by a worker: pages in order, as long as the worker is sound. */
class ReadAheadWorker {
  readonly #worker: Worker;
  readonly #queue: ReadAheadMessage[] = [];
  #waiting: ((message: ReadAheadMessage) => void) | null = null;
  #stopped = false;

  constructor(start: ReadAheadWorkerStart, pagesAhead: number) {
    this.#worker = startAdapterThread(start.module, start.data);
    const deliver = (message: ReadAheadMessage): void => {
      const waiting = this.#waiting;
      if (waiting === null) {
        this.#queue.push(message);
        return;
      }
      this.#waiting = null;
      // Idle again: a worker nobody waits on must not keep the process alive.
      this.#worker.unref();
      waiting(message);
    };
    this.#worker.on('message', deliver);
    this.#worker.on('error', (e: Error) => deliver({ kind: 'failed', reason: e.message }));
    this.#worker.on('exit', () => deliver({ kind: 'failed', reason: 'the read-ahead worker exited' }));
    this.#worker.unref();
    this.#worker.postMessage(pagesAhead);
  }

  /** The next message, in order. */
  next(): Promise<ReadAheadMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(this.#ask(queued));
    if (this.#stopped) return Promise.resolve({ kind: 'failed', reason: STOPPED });
    this.#worker.ref();
    return new Promise<ReadAheadMessage>((resolve) => {
      this.#waiting = resolve;
    }).then((m) => this.#ask(m));
  }

  /** Ends the worker; a pending or later `next()` gets a failure. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    void this.#worker.terminate();
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.({ kind: 'failed', reason: STOPPED });
  }

  // A page taken frees its slot: ask for one more, so the worker stays `pagesAhead` pages ahead.
  #ask(message: ReadAheadMessage): ReadAheadMessage {
    if (message.kind !== 'failed' && message.more && !this.#stopped) this.#worker.postMessage(1);
    return message;
  }
}

/** How a read moves its cursor and reads in-thread, for {@link readAheadPages}. */
export interface ReadAheadSource<Row> {
  /** The file the store reads (null: no worker, as for an in-memory database). */
  readonly path: string | null;
  readonly options: ReadAheadOptions | false;
  /** Where the read is now, for a worker started here. */
  query(): ReadAheadQuery;
  /** The worker to start for `query` (default: the SQLite worker on `path`). */
  worker?(query: ReadAheadQuery, pageSize: number): ReadAheadWorkerStart;
  /**
   * Reads the next page in-thread (a server store answers later) and moves the cursor past it. With `before` (a worker's
   * start), only rows before it: a page short of a full one then means the read has reached the worker's first row.
   */
  inThread(before: ReadAheadQuery | null): ReadPage<Row> | Promise<ReadPage<Row>>;
  /** Moves the cursor past an event a worker delivered. */
  advance(last: RecordedEvent): void;
  /** Called with the worker's stop when one starts, and with null when it ends: the store stops it on close. */
  track(stop: (() => void) | null): void;
  /**
   * For a store that can tell how long a read is and whose keys are contiguous: after a full first page, a read that
   * will go past `afterRows` (and holds more than `minRows` rows) starts its worker at once at row `afterRows`, so the
   * worker starts and reads ahead while this thread reads the rows before it.
   */
  readonly ahead?: {
    /** Rows from the cursor to the end of what is read, as the log is now. */
    rowsLeft(): Promise<number>;
    /** Where the read will be after `rows` more rows. */
    query(rows: number): ReadAheadQuery;
  };
}

/**
 * A read's page source: in-thread first, then, once `afterRows` rows were read, from a worker that stays a few pages
 * ahead (started early when the source has `ahead`). Any fault on the worker's side (a failed start, an altered row, a
 * page that does not decode) hands the read back to the in-thread path at the cursor, which reports the fault itself.
 * `stop` ends the worker, if any.
 */
export function readAheadPages<Row>(source: ReadAheadSource<Row>): { nextPage: () => PageResult<Row>; stop: () => void } {
  const options = source.options;
  let rowsRead = 0;
  let worker: ReadAheadWorker | null = null;
  // A worker's first row while this thread still reads the rows before it; null once the worker serves the read.
  let handover: ReadAheadQuery | null = null;
  let used = false;
  let asked = false;
  const stop = (): void => {
    worker?.stop();
    worker = null;
    handover = null;
    source.track(null);
  };
  const start = (path: string, query: ReadAheadQuery, options: ReadAheadOptions): ReadAheadWorker => {
    // One worker per read: after a fault the read stays in-thread.
    used = true;
    const pageSize = options.pageSize ?? 2048;
    const data: ReadAheadWorkerData = { path, query, pageSize };
    const started = new ReadAheadWorker(source.worker?.(query, pageSize) ?? { module: 'sqliteReadWorker', data }, options.pagesAhead ?? 4);
    worker = started;
    source.track(stop);
    return started;
  };
  const counted = (page: ReadPage<Row>): ReadPage<Row> => {
    rowsRead += page.rows.length;
    // The rows before the worker's first are read: the worker's pages come next.
    if (handover !== null && !page.more) {
      handover = null;
      return { rows: page.rows, more: true };
    }
    return page;
  };
  const inThread = (): ReadPage<Row> | Promise<ReadPage<Row>> => {
    const page = source.inThread(handover);
    return page instanceof Promise ? page.then(counted) : counted(page);
  };
  const fromWorker = (message: ReadAheadMessage): PageResult<Row> => {
    const decoded = message.kind === 'page' ? decodeReadAheadPage(message.page) : message.kind === 'rows' ? decodeCheckedRows(message.page) : null;
    if (message.kind === 'failed' || decoded === null) {
      // A worker that could not run is worth a warning (the read is slower, not wrong); a bad page is the log's fault,
      // and the in-thread path reports it as an error.
      if (message.kind === 'failed' && message.reason !== STOPPED) {
        process.emitWarning(`the read-ahead worker failed (${message.reason}); the read goes on in-thread`, { code: 'STRATAFOLIO_READ_AHEAD' });
      }
      stop();
      return inThread();
    }
    const last = decoded.events[decoded.events.length - 1];
    if (last !== undefined) source.advance(last);
    if (message.page.cut || decoded.error !== undefined) stop();
    const page: DecodedPage = {
      decoded: decoded.events,
      // After a cut the read goes on in-thread, from the altered row.
      more: message.more || message.page.cut,
      ...(decoded.error !== undefined ? { error: decoded.error } : {}),
    };
    return page;
  };
  return {
    nextPage: () => {
      if (options === false || source.path === null || used) {
        return worker !== null && handover === null ? worker.next().then(fromWorker) : inThread();
      }
      const path = source.path;
      const ahead = source.ahead;
      const minRows = options.minRows ?? 0;
      // Past afterRows a read moves to a worker where it is, unless its length was asked and found short of minRows.
      if (rowsRead >= options.afterRows && (ahead === undefined || minRows === 0)) return start(path, source.query(), options).next().then(fromWorker);
      if (ahead === undefined || rowsRead === 0 || asked) return inThread();
      // Asked once, after a full first page: short reads never ask, nor start a worker.
      asked = true;
      const lead = options.afterRows - rowsRead;
      return ahead.rowsLeft().then(
        (left) => {
          if (left > lead && rowsRead + left > minRows && !used) {
            handover = ahead.query(lead);
            start(path, handover, options);
          }
          return inThread();
        },
        () => inThread(),
      );
    },
    stop: () => {
      // The read is over: no worker starts after this (a length lookup may still be on its way).
      used = true;
      stop();
    },
  };
}
