// Opening an event store from its URL: the one entry point the CLI, the engine and tests use.
import { createMemoryEventStore } from './adapters/memoryStore.js';
import { openSqliteEventStore } from './adapters/sqliteStore.js';
import { openPostgresEventStore } from './adapters/postgresStore.js';
import { parseStoreUrl, redactStoreUrl } from './adapters/storeUrl.js';
import type { ReadAheadOptions } from './adapters/sqliteReadAhead.js';
import type { Durability, EventStore } from './store.js';

export { ACCEPTED_STORE_URLS, parseStoreUrl, redactStoreUrl, type StoreLocation } from './adapters/storeUrl.js';
export { POSTGRES_SCHEMA_VERSION, openPostgresEventStore, type PostgresStoreOptions } from './adapters/postgresStore.js';
export { StoreUnavailableError, isStoreUnavailableError } from './adapters/storeUnavailableError.js';
export { MemoryLog, createMemoryEventStore, type MemoryRow, type MemoryStoreOptions } from './adapters/memoryStore.js';
export { SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION, openSqliteEventStore, type SqliteStoreOptions } from './adapters/sqliteStore.js';
export { StoreClosedError, isStoreClosedError } from './adapters/storeClosedError.js';
export type { ReadAheadOptions } from './adapters/sqliteReadAhead.js';
export { readBatches, type BatchedRead } from './readBatches.js';

/** Options of openEventStore; they override what the URL says. */
export interface OpenEventStoreOptions {
  /** SQLite only: `full` (default; fsync every append) or `normal` (WAL without fsync per append; for backtests). */
  readonly durability?: Durability;
  /** Idle poll interval of subscriptions, for appends made by other processes (ms; SQLite default 25, PostgreSQL 1000 behind LISTEN/NOTIFY). */
  readonly pollIntervalMs?: number;
  /** SQLite only: how long a writer waits for another process's lock (ms, default 10000). */
  readonly busyTimeoutMs?: number;
  /** Folder relative SQLite paths are resolved against (default the process's working directory). */
  readonly cwd?: string;
  /** SQLite and PostgreSQL: when long reads move to a worker thread (default after 20 000 rows; false: never). */
  readonly readAhead?: ReadAheadOptions | false;
  /** SQLite and PostgreSQL: open an existing store for reading only (nothing in the file or database changes; works on a read-only filesystem or with a role that may only read). */
  readonly readOnly?: boolean;
  /** SQLite and PostgreSQL: the file or schema must already be a stratafolio store (one without its tables, an empty file included, is refused unchanged). */
  readonly existing?: boolean;
  /** Server stores only: how long a subscription keeps retrying a lost server before it fails (ms, default 60000). */
  readonly reconnectTimeoutMs?: number;
  /** SQLite only: appends run on a writer thread, so a caller that decides its next batch meanwhile overlaps the two. */
  readonly writerThread?: boolean;
}

/**
 * Opens the event store a URL names: `memory:`, `sqlite:<path>[?durability=full|normal]`,
 * `postgres://…[?schema=name]` or `kurrentdb://…` / `esdb://…`.
 * @throws StoreConfigError for an unknown scheme, a malformed URL or a file that is not a store;
 *   StoreUnavailableError when a server store cannot be reached.
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
        ...(options.existing === true ? { existing: true } : {}),
        ...(options.writerThread === true ? { writerThread: true } : {}),
      });
    case 'postgres':
      return openPostgresEventStore(location.connectionString, {
        url: redactStoreUrl(url),
        schema: location.schema,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.reconnectTimeoutMs !== undefined ? { reconnectTimeoutMs: options.reconnectTimeoutMs } : {}),
        ...(options.readAhead !== undefined ? { readAhead: options.readAhead } : {}),
        ...(options.readOnly === true ? { readOnly: true } : {}),
        ...(options.existing === true ? { existing: true } : {}),
      });
    case 'kurrentdb': {
      // Loaded on demand: the gRPC client costs start-up time that SQLite and PostgreSQL users never need.
      const { openKurrentEventStore } = await import('./adapters/kurrentStore.js');
      return openKurrentEventStore(location.connectionString, { url: redactStoreUrl(url), namespace: location.namespace });
    }
  }
}
