// The pages of a PostgreSQL read, shared by the store's in-thread reads and its read-ahead worker. Rows come as arrays in
// StoredRowTuple's order: position, revision, body, hash (and stream, for a read of the whole log).
import type { StoredRowTuple } from './readAheadPage.js';

/** The largest revision a row can hold (an integer column): the bound of a read no worker waits after. */
export const MAX_REVISION = 2 ** 31 - 1;

/** A page's rows, and where the next page starts (null: nothing more up to the read's bound). */
export interface PgPage {
  readonly rows: StoredRowTuple[];
  readonly next: number | null;
}

/** A query's text and values. */
export interface PageQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** The page queries on `schema`. */
export function pageQueries(schema: string): {
  /**
   * One stream's rows with revisions from `from` up to `end` (`size` revisions, no further than `upTo`). A page is a key
   * range rather than a LIMIT: on a table the server has not analysed yet (right after a bulk append) it plans
   * `ORDER BY revision LIMIT n` as a sort of every later row of the stream, so each page cost as much as the rest of the
   * read (26 ms a page of 2 000 rows, 98 000 rows on, against 1 ms for the range).
   */
  streamPage(stream: string, from: number, upTo: number, size: number): PageQuery & { readonly end: number };
  /**
   * Where a stream read goes on after a page that asked for revisions `from` to `end` and got `count` rows; null when
   * nothing is left up to `upTo`. A page short of its range is the end of the stream or a gap in its revisions (which
   * the reader's chain check reports): `first` finds the next revision, if any.
   */
  streamNext(
    stream: string,
    from: number,
    end: number,
    upTo: number,
    count: number,
    first: (query: PageQuery) => Promise<number | null>,
  ): Promise<number | null>;
  /** Up to `size` rows of the log after position `after`, no further than `upTo`; a full page means there may be more. */
  logPage(after: number, upTo: number, size: number): PageQuery;
} {
  const events = `"${schema}".events`;
  // Columns are qualified: ORDER BY position would sort by the float8 output column of that name, not by the index.
  const range = `SELECT e.position::float8, e.revision, e.body, e.hash FROM ${events} e WHERE e.stream = $1 AND e.revision >= $2 AND e.revision <= $3 ORDER BY e.revision`;
  const firstAfter = `SELECT e.revision FROM ${events} e WHERE e.stream = $1 AND e.revision > $2 AND e.revision <= $3 ORDER BY e.revision LIMIT 1`;
  const log = `SELECT e.position::float8, e.revision, e.body, e.hash, e.stream FROM ${events} e WHERE e.position > $1 AND e.position <= $3 ORDER BY e.position LIMIT $2`;
  return {
    streamPage(stream, from, upTo, size) {
      const end = Math.min(upTo, from + size - 1);
      return { text: range, values: [stream, from, end], end };
    },
    async streamNext(stream, from, end, upTo, count, first) {
      if (end >= upTo) return null;
      if (count === end - from + 1) return end + 1;
      return first({ text: firstAfter, values: [stream, end, upTo] });
    },
    logPage(after, upTo, size) {
      return { text: log, values: [after, size, upTo] };
    },
  };
}

/** How long a connection waits for the server's first answer when the URL gives no `connect_timeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * The connect timeout of a URL in ms: its `connect_timeout` in seconds as libpq reads it (at least 2; 0 or less: no
 * limit), else {@link DEFAULT_CONNECT_TIMEOUT_MS}. pg reads no `connect_timeout`, and waits without limit for a server
 * that took the connection and says nothing (another service on that port, a frozen server): a command would hang
 * without a word instead of failing as a server that does not answer.
 */
export function connectTimeoutMs(connectionString: string): number {
  let raw: string | null;
  try {
    raw = new URL(connectionString).searchParams.get('connect_timeout');
  } catch {
    return DEFAULT_CONNECT_TIMEOUT_MS;
  }
  const seconds = raw === null ? Number.NaN : Number.parseInt(raw, 10);
  if (!Number.isFinite(seconds)) return DEFAULT_CONNECT_TIMEOUT_MS;
  return seconds <= 0 ? 0 : Math.max(2, seconds) * 1000;
}
