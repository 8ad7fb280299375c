// An SQLite connection's document writes, shared by the store's own connection and its writer thread.
import type Database from 'better-sqlite3';

/** Writes and deletes of documents on one connection. */
export interface SqliteDocumentWrites {
  put(collection: string, key: string, value: string): void;
  delete(collection: string, key: string): void;
}

/** The document writes of a connection. */
export function sqliteDocumentWrites(db: Database.Database): SqliteDocumentWrites {
  const put = db.prepare<[string, string, string]>(
    'INSERT INTO documents (collection, key, value) VALUES (?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare<[string, string]>('DELETE FROM documents WHERE collection = ? AND key = ?');
  return {
    put: (collection, key, value) => void put.run(collection, key, value),
    delete: (collection, key) => void remove.run(collection, key),
  };
}
