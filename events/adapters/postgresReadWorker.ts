// The PostgreSQL read-ahead worker: reads a log's pages on its own connection and checks each row's hash as it
// arrives, handing the checked rows over, so a long read fetches and hashes on one thread and decodes on another.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { CheckedRowsBuilder } from './checkedRows.js';
import { MAX_REVISION, connectTimeoutMs, pageQueries, type PageQuery } from './postgresPages.js';
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

const client = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs(connectionString) });
client.on('error', (e) => fail(e));
const pages = pageQueries(schema);
// Where the next page starts: a revision of the stream, or the position the next page of the log follows.
let cursor: number | null = query.kind === 'stream' ? query.fromRevision : query.afterPosition;
let bytesHint = 0;

/**
 * Runs a page query, adding each row to `builder` as it arrives: no row outlives its check as strings, so the worker's
 * heap stays small. Resolves with the rows received and the last one taken.
 */
const fill = (builder: CheckedRowsBuilder, { text, values }: PageQuery): Promise<{ rows: number; last: StoredRowTuple | undefined }> =>
  new Promise((resolve, reject) => {
    let rows = 0;
    let last: StoredRowTuple | undefined;
    const config: pg.QueryArrayConfig = { text, values, rowMode: 'array' };
    const pageQuery = new pg.Query<StoredRowTuple>(config);
    pageQuery.on('row', (row: StoredRowTuple) => {
      rows += 1;
      if (builder.add(row)) last = row;
    });
    pageQuery.on('error', reject);
    pageQuery.on('end', () => resolve({ rows, last }));
    void client.query(pageQuery);
  });

/** Reads the page at `from` and moves the cursor past it (null: the read is over). */
const readPage = async (from: number): Promise<CheckedRowsBuilder> => {
  const builder = new CheckedRowsBuilder(pageSize, query.kind === 'stream' ? query.stream : undefined, bytesHint);
  if (query.kind === 'stream') {
    const range = pages.streamPage(query.stream, from, MAX_REVISION, pageSize);
    const { rows } = await fill(builder, range);
    cursor = await pages.streamNext(query.stream, from, range.end, MAX_REVISION, rows, async (first) => {
      const config: pg.QueryArrayConfig = { text: first.text, values: first.values, rowMode: 'array' };
      return ((await client.query(config)).rows[0]?.[0] as number | undefined) ?? null;
    });
  } else {
    const { rows, last } = await fill(builder, pages.logPage(from, Number.MAX_SAFE_INTEGER, pageSize));
    cursor = rows === pageSize && last !== undefined ? last[0] : null;
  }
  bytesHint = Math.ceil(builder.used * 1.1);
  return builder;
};

// Pages the reader asked for and has not been sent: the read stays at most that many pages ahead (flat memory).
let credit = 0;
let ended = false;
let running = false;
const pump = async (): Promise<void> => {
  if (running) return;
  running = true;
  try {
    while (credit > 0 && !ended && cursor !== null) {
      const { page, transfer } = (await readPage(cursor)).finish();
      ended = page.cut || cursor === null;
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
port.on('message', (asked: number) => {
  credit += asked;
  connected.then(pump).catch(fail);
});

function fail(e: unknown): void {
  const message: ReadAheadMessage = { kind: 'failed', reason: `PostgreSQL read-ahead: ${e instanceof Error ? e.message : String(e)}` };
  port?.postMessage(message);
  void client.end().catch(() => undefined);
  port?.close();
}
