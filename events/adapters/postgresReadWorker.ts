// The PostgreSQL read-ahead worker: reads a log's pages on its own connection and checks each row's hash as it
// arrives, handing the checked rows over, so a long read fetches and hashes on one thread and decodes on another.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { CheckedRowsBuilder } from './checkedRows.js';
import type { StoredRowTuple } from './readAheadPage.js';
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
let bytesHint = 0;
const byStream = `SELECT position::float8, revision, body, hash FROM "${schema}".events WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`;
const byPosition = `SELECT position::float8, revision, body, hash, stream FROM "${schema}".events WHERE position > $1 ORDER BY position LIMIT $2`;

/**
 * Reads the page after the cursor, adding each row to the page as it arrives, so no row outlives its check as strings
 * and the worker's heap stays small. Moves the cursor past the page.
 */
const readPage = (): Promise<{ builder: CheckedRowsBuilder; rows: number }> =>
  new Promise((resolve, reject) => {
    const builder = new CheckedRowsBuilder(pageSize, query.kind === 'stream' ? query.stream : undefined, bytesHint);
    let rows = 0;
    let last: StoredRowTuple | undefined;
    const config: pg.QueryArrayConfig =
      query.kind === 'stream'
        ? { text: byStream, values: [query.stream, fromRevision, pageSize], rowMode: 'array' }
        : { text: byPosition, values: [afterPosition, pageSize], rowMode: 'array' };
    const fetch = new pg.Query<StoredRowTuple>(config);
    fetch.on('row', (row: StoredRowTuple) => {
      rows += 1;
      if (builder.add(row)) last = row;
    });
    fetch.on('error', reject);
    fetch.on('end', () => {
      if (last !== undefined) {
        fromRevision = last[1] + 1;
        afterPosition = last[0];
      }
      bytesHint = Math.ceil(builder.used * 1.1);
      resolve({ builder, rows });
    });
    void client.query(fetch);
  });

// Pages the reader asked for and has not been sent: the read stays at most that many pages ahead (flat memory).
let credit = 0;
let ended = false;
let running = false;
const pump = async (): Promise<void> => {
  if (running) return;
  running = true;
  try {
    while (credit > 0 && !ended) {
      const { builder, rows } = await readPage();
      const { page, transfer } = builder.finish();
      ended = page.cut || rows < pageSize;
      credit -= 1;
      const message: ReadAheadMessage = { kind: 'rows', page, more: !ended };
      port.postMessage(message, transfer);
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
