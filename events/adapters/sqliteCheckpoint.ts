// The write-ahead log's checkpoint, run by the store's own connection or its writer thread when the store is asked for
// its upkeep (EventStore.maintain).
import type Database from 'better-sqlite3';
import { isBusy } from './sqliteAppend.js';

/**
 * Copies the committed write-ahead log into the database file, as far as no reader still needs it (PASSIVE: it waits
 * for no one), so the next append restarts the log instead of running SQLite's automatic checkpoint inside its commit.
 * A checkpoint another connection is running already is left to it.
 */
export function checkpointWal(db: Database.Database): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    if (!isBusy(e)) throw e;
  }
}
