// The PostgreSQL read-ahead worker: reads a log's pages on its own connection, checks their hashes, and posts them
// encoded, so a long read decodes on one thread while hashes are checked on another.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { encodeReadAheadPage, type StoredRowTuple } from './readAheadPage.js';
import type { ReadAheadMessage, ReadAheadQuery } from './sqliteReadAhead.js';

/** What the reader starts the worker with. */
export interface PostgresReadWorkerData {
  readonly connectionString: string;
  readonly schema: string;
  readonly query: ReadAheadQuery;
  readonly pageSize: number;
}

const { connectionString, schema, query, pageSize } = workerData as PostgresReadWorkerData;
const port = parentPort;
if (port === null) throw new Error('postgresReadWorker runs only as a worker thread');

const client = new pg.Client({ connectionString });
client.on('error', (e) => fail(e));
let fromRevision = query.kind === 'stream' ? query.fromRevision : 0;
let afterPosition = query.kind === 'all' ? query.afterPosition : 0;
const byStream = `SELECT position::float8, revision, body, hash FROM "${schema}".events WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`;
const byPosition = `SELECT position::float8, revision, body, hash, stream FROM "${schema}".events WHERE position > $1 ORDER BY position LIMIT $2`;
const read = async (): Promise<StoredRowTuple[]> => {
  // Rows as arrays, the tuple shape the page encoder takes, without an object per row.
  const config: pg.QueryArrayConfig =
    query.kind === 'stream'
      ? { text: byStream, values: [query.stream, fromRevision, pageSize], rowMode: 'array' }
      : { text: byPosition, values: [afterPosition, pageSize], rowMode: 'array' };
  return (await client.query(config)).rows as unknown as StoredRowTuple[];
};

// Pages the reader asked for and has not been sent: the read stays at most that many pages ahead (flat memory).
let credit = 0;
let ended = false;
let running = false;
const pump = async (): Promise<void> => {
  if (running) return;
  running = true;
  try {
    while (credit > 0 && !ended) {
      const rows = await read();
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
  } finally {
    running = false;
  }
  if (ended) await client.end().catch(() => undefined);
};

const connected = client.connect();
port.on('message', (pages: number) => {
  credit += pages;
  connected.then(pump).catch(fail);
});

function fail(e: unknown): void {
  const message: ReadAheadMessage = { kind: 'failed', reason: `PostgreSQL read-ahead: ${e instanceof Error ? e.message : String(e)}` };
  port?.postMessage(message);
  void client.end().catch(() => undefined);
  port?.close();
}
