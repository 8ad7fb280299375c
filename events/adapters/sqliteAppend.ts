// An SQLite connection's append: the statements and the IMMEDIATE transaction that applies the append rules, shared by
// the store's own connection and its writer thread.
import Database from 'better-sqlite3';
import type { AppendResult } from '../store.js';
import { appendBatch, type AppendTarget, type EncodedEvent, type EncodedWrite, type StoredEventRef, type StreamHead } from './appendRules.js';

/** Rows per INSERT statement: one statement per append of a usual slice (SQLite allows 32 766 parameters). */
const INSERT_CHUNK = 32;
const INSERT_COLUMNS = 6;

/** Appends encoded batches, in order, on `db` in one IMMEDIATE transaction (the rules of appendRules.ts): all or none. */
export type SqliteAppend = (writes: readonly EncodedWrite[]) => AppendResult[];

/** The append of a connection. */
export function sqliteAppend(db: Database.Database): SqliteAppend {
  const byEventId = db.prepare<[string], StoredEventRef>('SELECT stream, revision, hash, position FROM events WHERE event_id = ?');
  const head = db.prepare<[string], StreamHead>('SELECT revision, hash, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
  // Multi-row INSERTs, one prepared statement per row count: a statement per row costs a native call and a reset each.
  const inserts = new Map<number, Database.Statement<unknown[]>>();
  const insertOf = (count: number): Database.Statement<unknown[]> => {
    let statement = inserts.get(count);
    if (statement === undefined) {
      const values = Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?)').join(', ');
      statement = db.prepare<unknown[]>(`INSERT INTO events (stream, revision, event_id, type, body, hash) VALUES ${values}`);
      inserts.set(count, statement);
    }
    return statement;
  };
  const target: AppendTarget = {
    eventById: (eventId) => byEventId.get(eventId) ?? null,
    streamHead: (stream) => head.get(stream) ?? null,
    insert: (stream: string, rows: readonly EncodedEvent[]) => {
      let position = -1;
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        const count = Math.min(INSERT_CHUNK, rows.length - start);
        const params: unknown[] = new Array(count * INSERT_COLUMNS);
        for (let i = 0, p = 0; i < count; i += 1, p += INSERT_COLUMNS) {
          const r = rows[start + i] as EncodedEvent;
          params[p] = stream;
          params[p + 1] = r.revision;
          params[p + 2] = r.eventId;
          params[p + 3] = r.type;
          params[p + 4] = r.body;
          params[p + 5] = r.hash;
        }
        try {
          // The rowid SQLite reports for a multi-row INSERT is that of its last row.
          position = Number(insertOf(count).run(params).lastInsertRowid);
        } catch (e) {
          // The caller throws on null, so the transaction rolls back whatever earlier chunks wrote.
          if (isDuplicateEventId(e)) return null;
          throw e;
        }
      }
      return position;
    },
  };
  // IMMEDIATE takes the write lock before the revision check, so of two writers exactly one sees the old head.
  const appendTx = db.transaction((writes: readonly EncodedWrite[]) => writes.map((w) => appendBatch(target, w.stream, w.rows, w.expectedRevision)));
  return (writes) => appendTx.immediate(writes);
}

/** Whether `e` is SQLite refusing a row because its event id is already stored (the UNIQUE (event_id) index). */
function isDuplicateEventId(e: unknown): boolean {
  return e instanceof Database.SqliteError && e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message.includes('events.event_id');
}

/** SQLITE_BUSY and its extended codes: the lock stayed taken past the busy timeout. */
export function isBusy(e: unknown): boolean {
  return e instanceof Database.SqliteError && e.code.startsWith('SQLITE_BUSY');
}
