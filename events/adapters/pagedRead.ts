// Streaming reads as a hand-written async iterator over fetched pages: the adapters' readStream and readAll.
import type { RecordedEvent } from '../envelope.js';

/** One page of a read: rows to decode, and whether the read may go on after them. */
export interface ReadPage<Row> {
  readonly rows: readonly Row[];
  readonly more: boolean;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An AsyncIterable of the events of a paged read. `nextPage` is called lazily (first on the first `next()`), and again
 * when a page is used up and said there was more; `decode` turns a row into its event and throws at a corrupt one.
 * Once it has thrown (or ended, or the consumer returned) the iterator is done, as an async generator would be.
 * Why not an async generator: each of its yields costs about three times a resolved promise, and a rebuild reads
 * millions of events.
 */
export function pagedRead<Row>(nextPage: () => ReadPage<Row>, decode: (row: Row) => RecordedEvent): AsyncIterable<RecordedEvent> {
  let rows: readonly Row[] = [];
  let index = 0;
  let more = true;
  let finished = false;
  const iterator: AsyncIterableIterator<RecordedEvent> = {
    next(): Promise<IteratorResult<RecordedEvent, undefined>> {
      if (finished) return Promise.resolve(DONE);
      try {
        while (index >= rows.length) {
          if (!more) {
            finished = true;
            return Promise.resolve(DONE);
          }
          const page = nextPage();
          rows = page.rows;
          index = 0;
          more = page.more;
        }
        const row = rows[index] as Row;
        index += 1;
        return Promise.resolve({ done: false, value: decode(row) });
      } catch (e) {
        finished = true;
        rows = [];
        return Promise.reject(e);
      }
    },
    return(): Promise<IteratorResult<RecordedEvent, undefined>> {
      finished = true;
      rows = [];
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
