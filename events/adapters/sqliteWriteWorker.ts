// The writer thread: appends batches and writes documents on its own SQLite connection, one at a time, in the order they were posted.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { InvalidEventError, StoreConfigError, WrongExpectedRevisionError } from '../errors.js';
import { sqliteAppend } from './sqliteAppend.js';
import { checkpointWal } from './sqliteCheckpoint.js';
import { identityOf } from './sqliteFileWatch.js';
import { sqliteDocumentWrites } from './sqliteDocumentWrites.js';
import { unpackWrites, type WriteReply, type WriteRequest, type WriterWorkerData } from './sqliteWriter.js';

const { path, durability, busyTimeoutMs, identity } = workerData as WriterWorkerData;
const port = parentPort;
if (port === null) throw new Error('sqliteWriteWorker runs only as a worker thread');

const db = new Database(path, { fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
const append = sqliteAppend(db);
const documents = sqliteDocumentWrites(db);
// Checked once the connection is open: a file put in the store's place before then gets no write (the store's own
// watch finds the change and rescues the log from the file the store opened).
const found = identityOf(path);
const replaced = identity !== null && (found === null || found.dev !== identity.dev || found.ino !== identity.ino);

port.on('message', (request: WriteRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriteReply;
  try {
    if (replaced) throw new Error(`${path} is not the file the store opened; nothing was written`);
    if (request.kind === 'append') {
      reply = { id: request.id, ok: true, results: append(unpackWrites(request)) };
    } else if (request.kind === 'checkpoint') {
      checkpointWal(db);
      reply = { id: request.id, ok: true, results: [] };
    } else {
      if (request.value === null) documents.delete(request.collection, request.key);
      else documents.put(request.collection, request.key, request.value);
      reply = { id: request.id, ok: true, results: [] };
    }
  } catch (e) {
    reply = { id: request.id, ok: false, error: describe(e) };
  }
  port.postMessage(reply);
});

function describe(e: unknown): Extract<WriteReply, { ok: false }>['error'] {
  if (e instanceof WrongExpectedRevisionError) return { kind: 'wrongRevision', stream: e.stream, expected: e.expected, actual: e.actual };
  // Told apart by its code on the store's side, which knows the store (sqliteFailure.ts).
  if (e instanceof Database.SqliteError) return { kind: 'sqlite', code: e.code, message: e.message };
  if (e instanceof InvalidEventError) return { kind: 'invalid', message: e.message };
  if (e instanceof StoreConfigError) return { kind: 'config', message: e.message };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}
