// Streaming reads as a hand-written async iterator over fetched pages: the adapters' readStream and readAll.
import type { RecordedEvent } from '../envelope.js';
import type { BatchedRead } from '../readBatches.js';

/** One page of a read: rows to decode, and whether the read may go on after them. */
export interface ReadPage<Row> {
  readonly rows: readonly Row[];
  readonly more: boolean;
}

/** A page whose rows were decoded already (by a read-ahead worker); `error`, if set, is thrown after its rows. */
export interface DecodedPage {
  readonly decoded: readonly RecordedEvent[];
  readonly more: boolean;
  readonly error?: unknown;
}

/** What a page source returns: raw rows, decoded events, or either later. */
export type PageResult<Row> = ReadPage<Row> | DecodedPage | Promise<ReadPage<Row> | DecodedPage>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An AsyncIterable of the events of a paged read. `nextPage` is called lazily (first on the first `next()`), and again
 * when a page is used up and said there was more; `decode` turns a row into its event and throws at a corrupt one.
 * Once it has thrown (or ended, or the consumer returned) the iterator is done, as an async generator would be, and
 * `onEnd` (if given) runs once.
 * Why not an async generator: each of its yields costs about three times a resolved promise, and a rebuild reads
 * millions of events.
 */
export function pagedRead<Row>(
  nextPage: () => PageResult<Row>,
  decode: (row: Row) => RecordedEvent,
  onEnd?: () => void,
): BatchedRead {
  let rows: readonly Row[] = [];
  let decoded: readonly RecordedEvent[] = [];
  let pageError: unknown = undefined;
  let index = 0;
  let more = true;
  let finished = false;
  let pending: Promise<unknown> | null = null;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    rows = [];
    decoded = [];
    onEnd?.();
  };
  const take = (page: ReadPage<Row> | DecodedPage): void => {
    index = 0;
    more = page.more;
    if ('decoded' in page) {
      rows = [];
      decoded = page.decoded;
      pageError = page.error;
    } else {
      rows = page.rows;
      decoded = [];
      pageError = undefined;
    }
  };
  // Once a page is used up: takes the next one (true), or ends the read (false), or does either when a page arrives later.
  const takeNextPage = (): boolean | Promise<boolean> => {
    if (!more) {
      finish();
      return false;
    }
    const page = nextPage();
    if (!(page instanceof Promise)) {
      take(page);
      return true;
    }
    return page.then((p) => {
      if (finished) return false;
      take(p);
      return true;
    });
  };
  // Serves from the current page, fetching pages as needed; a page that arrives later continues through a promise.
  const step = (): IteratorResult<RecordedEvent, undefined> | Promise<IteratorResult<RecordedEvent, undefined>> => {
    for (;;) {
      if (index < decoded.length) {
        const event = decoded[index] as RecordedEvent;
        index += 1;
        return { done: false, value: event };
      }
      // A page's error comes after its decoded events and before any row after the one that failed.
      if (pageError !== undefined) {
        const error = pageError;
        pageError = undefined;
        throw error;
      }
      if (index < rows.length) {
        const row = rows[index] as Row;
        index += 1;
        return { done: false, value: decode(row) };
      }
      const taken = takeNextPage();
      if (taken === false) return DONE;
      if (taken !== true) return taken.then((ok) => (ok ? step() : DONE));
    }
  };
  // The rest of the current page (decoded; a row that fails ends the batch, and its error is the next call's),
  // fetching pages as needed; null at the end.
  const stepBatch = (): readonly RecordedEvent[] | null | Promise<readonly RecordedEvent[] | null> => {
    for (;;) {
      if (index < decoded.length) {
        const batch = index === 0 ? decoded : decoded.slice(index);
        index = decoded.length;
        return batch;
      }
      if (pageError !== undefined) {
        const error = pageError;
        pageError = undefined;
        throw error;
      }
      if (index < rows.length) {
        const batch: RecordedEvent[] = [];
        try {
          while (index < rows.length) {
            const row = rows[index] as Row;
            index += 1;
            batch.push(decode(row));
          }
        } catch (e) {
          if (batch.length === 0) throw e;
          pageError = e;
        }
        return batch;
      }
      const taken = takeNextPage();
      if (taken === false) return null;
      if (taken !== true) return taken.then((ok) => (ok ? stepBatch() : null));
    }
  };
  const fail = (e: unknown): Promise<never> => {
    finish();
    return Promise.reject(e);
  };
  // One call at a time: a call made before the last one settled waits its turn.
  const serial = <T>(run: () => T | Promise<T>, ended: T): Promise<T> => {
    if (finished) return Promise.resolve(ended);
    if (pending !== null) return pending.then(() => serial(run, ended), () => serial(run, ended));
    try {
      const result = run();
      if (!(result instanceof Promise)) return Promise.resolve(result);
      const settled = result.then(
        (r) => {
          pending = null;
          return r;
        },
        (e: unknown) => {
          pending = null;
          return fail(e);
        },
      );
      pending = settled;
      return settled;
    } catch (e) {
      return fail(e);
    }
  };
  const iterator: BatchedRead & AsyncIterableIterator<RecordedEvent> = {
    next(): Promise<IteratorResult<RecordedEvent, undefined>> {
      return serial(step, DONE);
    },
    nextBatch(): Promise<readonly RecordedEvent[] | null> {
      return serial(stepBatch, null);
    },
    return(): Promise<IteratorResult<RecordedEvent, undefined>> {
      finish();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
