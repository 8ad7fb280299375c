// The read-ahead worker: reads a log's pages on its own SQLite connection, checks their hashes, and posts them encoded.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { encodeReadAheadPage, type StoredRowTuple } from './readAheadPage.js';
import type { ReadAheadMessage, ReadAheadQuery } from './sqliteReadAhead.js';

/** What the reader starts the worker with. */
export interface ReadAheadWorkerData {
  readonly path: string;
  readonly query: ReadAheadQuery;
  readonly pageSize: number;
}

const { path, query, pageSize } = workerData as ReadAheadWorkerData;
const port = parentPort;
if (port === null) throw new Error('sqliteReadWorker runs only as a worker thread');

let db: Database.Database | null = null;
try {
  db = new Database(path, { readonly: true, fileMustExist: true });
  let fromRevision = query.kind === 'stream' ? query.fromRevision : 0;
  let afterPosition = query.kind === 'all' ? query.afterPosition : 0;
  const byStream = db
    .prepare<[string, number, number], StoredRowTuple>(
      'SELECT position, revision, body, hash FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
    )
    .raw(true);
  const byPosition = db
    .prepare<[number, number], StoredRowTuple>('SELECT position, revision, body, hash, stream FROM events WHERE position > ? ORDER BY position LIMIT ?')
    .raw(true);
  const read = (): StoredRowTuple[] =>
    query.kind === 'stream' ? byStream.all(query.stream, fromRevision, pageSize) : byPosition.all(afterPosition, pageSize);
  // Pages the reader asked for and has not been sent: the read stays at most that many pages ahead (flat memory).
  let credit = 0;
  let ended = false;
  const pump = (): void => {
    while (credit > 0 && !ended) {
      const rows = read();
      const page = encodeReadAheadPage(rows, query.kind === 'stream' ? query.stream : undefined);
      const last = rows[page.count - 1];
      if (last !== undefined) {
        fromRevision = last[1] + 1;
        afterPosition = last[0];
      }
      ended = page.cut || rows.length < pageSize;
      credit -= 1;
      const message: ReadAheadMessage = { kind: 'page', page, more: !ended };
      port.postMessage(message);
    }
  };
  port.on('message', (pages: number) => {
    credit += pages;
    try {
      pump();
    } catch (e) {
      fail(e);
    }
  });
} catch (e) {
  fail(e);
}

function fail(e: unknown): void {
  const message: ReadAheadMessage = { kind: 'failed', reason: `${path}: ${e instanceof Error ? e.message : String(e)}` };
  port?.postMessage(message);
  db?.close();
  port?.close();
}
