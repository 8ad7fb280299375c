// Why an SQLite store's write failed when the cause is where the store lives (its device, its files, their modes): one
// typed error naming the store, the write and what to do, for the store's own connection and its writer thread alike.
// SQLite's own words ("database or disk is full") name neither the store nor what to do.
import { whyNotWritable } from '../../src/fileAccess.js';
import { StoreBusyError, StoreFullError, StorePermissionError, StoreWriteError } from '../errors.js';

/** What was being written when SQLite failed. */
export type SqliteWriteKind = 'open' | 'append' | 'document' | 'writer lock' | 'checkpoint';

/** The store a write went to. */
export interface SqliteStoreFile {
  readonly url: string;
  readonly path: string;
  readonly busyTimeoutMs: number;
}

/** What became of a write SQLite refused before changing anything. */
const NOT_STORED: Readonly<Record<SqliteWriteKind, string>> = {
  open: 'the store was not opened, and nothing was written',
  append: 'the append was not stored',
  document: 'the document (a checkpoint, a recovery snapshot or a queued command) was not stored',
  'writer lock': 'the writer lock was not taken, so nothing was written',
  checkpoint: 'the write-ahead log was not copied into the file (nothing is lost: it stays in the -wal file)',
};

/** What may have become of a write that failed part-way (the device's error may come after the commit was written). */
const MAYBE_STORED: Readonly<Record<SqliteWriteKind, string>> = {
  ...NOT_STORED,
  append: 'the append may or may not have been stored',
  document: 'the document (a checkpoint, a recovery snapshot or a queued command) may or may not have been stored',
};

const KEPT = 'What the store acknowledged before is kept.';
const RESUME = 'then run the same command again (a backtest or paper session resumes after the last slice stored)';

/**
 * The typed error of an SQLite failure (`code` is the SqliteError's, such as `SQLITE_FULL`) during `write` to `store`,
 * when its cause is the store's device or files; null for any other failure.
 */
export function sqliteWriteError(store: SqliteStoreFile, write: SqliteWriteKind, code: string, message: string): Error | null {
  const { url, path } = store;
  if (code.startsWith('SQLITE_BUSY')) return new StoreBusyError(url, store.busyTimeoutMs);
  if (code === 'SQLITE_FULL') {
    return new StoreFullError(
      url,
      `event store ${url}: no space left on the device that holds ${path}: ${NOT_STORED[write]}. ${KEPT} ` +
        `Free space there (or move the store to a larger disk with \`stratafolio copy\`), ${RESUME}`,
    );
  }
  if (code === 'SQLITE_READONLY_DBMOVED') {
    return new StoreWriteError(url, `event store ${url}: ${path} was moved or deleted while the store had it open: ${NOT_STORED[write]}. Put the file back, ${RESUME}`);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    // SQLite opens a file it may not write read-only without a word; the first write finds out. The modes say why.
    const why = whyNotWritable(path) ?? whyNotWritable(`${path}-wal`) ?? whyNotWritable(`${path}-shm`) ?? `SQLite may not write it (${message})`;
    return new StorePermissionError(
      url,
      why,
      `event store ${url} cannot be written: ${why}; ${NOT_STORED[write]}. Make ${path}, its -wal and -shm files and its folder writable by this user, ${RESUME}`,
    );
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') {
    return new StoreWriteError(
      url,
      `event store ${url}: the device failed to read or write ${path} (${code}: ${message}): ${MAYBE_STORED[write]}. ${KEPT} ` +
        `Check the device (its free space, the system log), ${RESUME} (one stored without its answer is recognised, not stored twice)`,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new StoreWriteError(
      url,
      `event store ${url}: SQLite finds ${path} damaged (${code}: ${message}): ${NOT_STORED[write]}. ` +
        `Check the log with \`stratafolio audit --verify --store ${url}\` before writing to it again`,
    );
  }
  return null;
}
