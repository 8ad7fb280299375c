// Opening an event store from its URL: the one entry point the CLI, the engine and tests use.
import { createMemoryEventStore } from './adapters/memoryStore.js';
import { openSqliteEventStore } from './adapters/sqliteStore.js';
import { parseStoreUrl } from './adapters/storeUrl.js';
import type { ReadAheadOptions } from './adapters/sqliteReadAhead.js';
import type { Durability, EventStore } from './store.js';

export { ACCEPTED_STORE_URLS, parseStoreUrl, type StoreLocation } from './adapters/storeUrl.js';
export { MemoryLog, createMemoryEventStore, type MemoryRow, type MemoryStoreOptions } from './adapters/memoryStore.js';
export { SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION, openSqliteEventStore, type SqliteStoreOptions } from './adapters/sqliteStore.js';
export { StoreClosedError, isStoreClosedError } from './adapters/storeClosedError.js';
export type { ReadAheadOptions } from './adapters/sqliteReadAhead.js';
export { readBatches, type BatchedRead } from './readBatches.js';

/** Options of openEventStore; they override what the URL says. */
export interface OpenEventStoreOptions {
  /** SQLite only: `full` (default; fsync every append) or `normal` (WAL without fsync per append; for backtests). */
  readonly durability?: Durability;
  /** SQLite only: idle poll interval of subscriptions, for appends made by other processes (ms, default 25). */
  readonly pollIntervalMs?: number;
  /** SQLite only: how long a writer waits for another process's lock (ms, default 10000). */
  readonly busyTimeoutMs?: number;
  /** Folder relative SQLite paths are resolved against (default the process's working directory). */
  readonly cwd?: string;
  /** SQLite only: when long reads move to a worker thread (default after 20 000 rows; false: never). */
  readonly readAhead?: ReadAheadOptions | false;
  /** SQLite only: open an existing store for reading only (nothing in the file changes; works on a read-only filesystem). */
  readonly readOnly?: boolean;
  /** SQLite only: appends run on a writer thread, so a caller that decides its next batch meanwhile overlaps the two. */
  readonly writerThread?: boolean;
}

/**
 * Opens the event store a URL names: `memory:` or `sqlite:<path>[?durability=full|normal]`.
 * @throws StoreConfigError for an unknown scheme, a malformed URL or a file that is not a store.
 */
export async function openEventStore(url: string, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  const location = parseStoreUrl(url, options.cwd);
  switch (location.kind) {
    case 'memory':
      return createMemoryEventStore({ url });
    case 'sqlite':
      return openSqliteEventStore(location.path, {
        url,
        durability: options.durability ?? location.durability ?? 'full',
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
        ...(options.readAhead !== undefined ? { readAhead: options.readAhead } : {}),
        ...(options.readOnly === true ? { readOnly: true } : {}),
        ...(options.writerThread === true ? { writerThread: true } : {}),
      });
  }
}
