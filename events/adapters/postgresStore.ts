// The PostgreSQL EventStore adapter (`pg`): one schema holds the log and the documents; any number of machines share it.
import pg from 'pg';
import type { Observable } from 'rxjs';
import { GENESIS_HASH, decodeReuse, decodeStoredAt, type RecordedEvent, type SealedEvent } from '../envelope.js';
import { StoreConfigError, StorePermissionError, StoreReadOnlyError, WrongExpectedRevisionError } from '../errors.js';
import { UNKNOWN_HOLDER, WriterLockBusyError, WriterLockedError, currentHolder, type WriterLock, type WriterLockHolder } from '../writerLock.js';
import type { AppendOptions, AppendResult, DocumentStore, EventStore, StreamAppend } from '../store.js';
import { appendBatch, encodeBatch, encodeWrites, type AppendTarget, type EncodedEvent, type EncodedWrite, type StoredEventRef, type StreamHead } from './appendRules.js';
import { catchUpSubscription, type LiveSubscription, type PagedLog, type StoredRow } from './catchUpSubscription.js';
import { pagedRead } from './pagedRead.js';
import type { PostgresReadWorkerData } from './postgresReadWorker.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, MAX_REVISION, connectTimeoutMs, pageQueries, type PageQuery, type PgPage } from './postgresPages.js';
export { DEFAULT_CONNECT_TIMEOUT_MS, connectTimeoutMs } from './postgresPages.js';
import type { StoredRowTuple } from './readAheadPage.js';
import { readAheadPages, type ReadAheadOptions, type ReadAheadQuery, type ReadAheadWorkerStart } from './sqliteReadAhead.js';
import { StoreClosedError } from './storeClosedError.js';
import { StoreUnavailableError } from './storeUnavailableError.js';

/** Version of the table layout below, kept in the log_head row. */
export const POSTGRES_SCHEMA_VERSION = 1;

/** Options of a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** The URL reported by `store.url` (passwords redacted by the caller). */
  readonly url: string;
  /** The schema holding the tables (created when missing, unless `readOnly` or `existing`). */
  readonly schema: string;
  /** Never write: the schema must hold a store already; appends, documents and writer locks throw StoreReadOnlyError. */
  readonly readOnly?: boolean;
  /** The schema must hold a store already (nothing is created for a schema that holds none). */
  readonly existing?: boolean;
  /** Idle re-read interval of subscriptions, a safety net behind LISTEN/NOTIFY (ms, default 1000). */
  readonly pollIntervalMs?: number;
  /** How long a subscription keeps retrying a lost server before it fails (ms, default 60000). */
  readonly reconnectTimeoutMs?: number;
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
  /** When long reads move to a worker thread (default: reads of more than 250 000 rows, after 20 000; false: never). */
  readonly readAhead?: ReadAheadOptions | false;
  /** How long a starting writer waits for another starter's hold on the lock's row before it is refused (ms, default 10000). */
  readonly writerLockWaitMs?: number;
}

/**
 * TCP keepalive of the connection holding a writer lock. The server keeps a session, and its advisory lock, until it
 * learns the peer is gone: a killed process's kernel says so at once, but a machine that lost power or its network says
 * nothing, and with the system's defaults (2 hours idle, then 9 probes 75 s apart) a restart elsewhere would be refused
 * for over 2 hours. Probing after 20 s idle, every 10 s, giving up after 4 unanswered, drops it within 60 s.
 */
export const LOCK_CONNECTION_KEEPALIVE = Object.freeze({ idleSeconds: 20, intervalSeconds: 10, count: 4 });
/** Named in pg_stat_activity, so an operator can tell lock sessions from the pool's. */
const LOCK_APPLICATION_NAME = 'stratafolio writer lock';
const WRITER_LOCK_WAIT_MS = 10_000;
/** SQLSTATE lock_not_available: a statement waited past lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The client side of a lock connection: keepalive from this end too, so a holder whose server or network went away
 * learns it (the connection ends, and the lock is taken again before the next append) instead of waiting on a socket.
 * Node sets only the first probe's delay; the interval and count of the later ones are the system's (on Linux 75 s × 9),
 * so the holder's side notices after about 11 minutes, while the server side frees the lock within about 60 s.
 */
export function lockConnectionConfig(connectionString: string): pg.ClientConfig {
  return {
    connectionString,
    connectionTimeoutMillis: connectTimeoutMs(connectionString),
    keepAlive: true,
    keepAliveInitialDelayMillis: LOCK_CONNECTION_KEEPALIVE.idleSeconds * 1000,
    application_name: LOCK_APPLICATION_NAME,
  };
}

/**
 * Connects a lock connection and sets the server's keepalive for its session (a URL's own `options` would override
 * ones given at connect, so they are set after it; a Unix-socket session ignores them, its peer cannot vanish).
 */
export async function openLockConnection(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client(lockConnectionConfig(connectionString));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { idleSeconds, intervalSeconds, count } = LOCK_CONNECTION_KEEPALIVE;
    await client.query(`SET tcp_keepalives_idle = ${idleSeconds}; SET tcp_keepalives_interval = ${intervalSeconds}; SET tcp_keepalives_count = ${count}`);
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

const PAGE_SIZE = 2000;
/** Rows read in-thread before a long read's worker takes over (it starts earlier, and is ready by then). */
const READ_AHEAD_AFTER_ROWS = 20_000;
/**
 * Only a read of more rows than this gets a worker: below it, reading in-thread (the next page fetched while this one
 * decodes) costs less. The worker's start, its cold code and a copy of every row cost ≈ 0.8 µs a row in all, repaid
 * only by a spare core on a long read (2 cores shared with the server; 100 000 rows, load 3–4: in-thread 197 000
 * events/s, worker 138 000; 1 000 000 rows, load < 1: in-thread 270 000, worker 353 000; docs/event-store.md).
 */
const READ_AHEAD_MIN_ROWS = 250_000;
const RECONNECT_DELAY_MS = 250;

/** Row shape of the events table as the client returns it (bigint arrives as a string). */
interface EventRow {
  position: string;
  stream: string;
  revision: number;
  body: string;
  hash: string;
}

/**
 * Opens (and on first use creates) a PostgreSQL event store.
 *
 * Positions are assigned under the row lock of a one-row counter (`log_head`) taken first in every append
 * transaction and held until commit. So transactions commit in position order, and a reader can never see
 * position n+1 while n is still uncommitted: the "skipped event" of sequence-numbered logs cannot happen, and
 * positions stay contiguous like the SQLite and memory stores. The cost is that appends to one database are
 * serialised (one commit at a time), which is what a single writer per portfolio needs anyway.
 * @throws StoreUnavailableError when the server cannot be reached; StoreConfigError when the URL's database, user or
 *   password is refused, the role may not read the schema, the schema is newer than this code, or (`readOnly`,
 *   `existing`) it holds no store; StorePermissionError when the tables must be created and the role may not.
 */
export async function openPostgresEventStore(connectionString: string, options: PostgresStoreOptions): Promise<EventStore> {
  const { url, schema } = options;
  const q = (name: string): string => `"${schema}".${name}`;
  const channel = `stratafolio_${schema}`;
  // The timeout goes to each client, not to the pool, whose own would also bound the wait for a free client.
  const connectionTimeoutMillis = connectTimeoutMs(connectionString);
  class TimedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis });
    }
  }
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 4, Client: TimedClient as unknown as new () => pg.ClientBase });
  // An idle connection the server dropped (restart, timeout) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const writerLockWaitMs = Math.max(1, Math.round(options.writerLockWaitMs ?? WRITER_LOCK_WAIT_MS));
  if (!Number.isFinite(writerLockWaitMs)) throw new StoreConfigError(`${url}: writerLockWaitMs must be a finite number of milliseconds, got ${String(options.writerLockWaitMs)}`);

  const readOnly = options.readOnly === true;
  try {
    await openSchema(pool, schema, url, readOnly ? 'read-only' : options.existing === true ? 'existing' : 'create');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw translate(e, url);
  }

  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError(url);
  };
  const ensureWritable = (): void => {
    ensureOpen();
    if (readOnly) throw new StoreReadOnlyError(url);
  };
  const live = new Set<LiveSubscription>();
  const notifier = new Notifier(connectionString, channel);
  const localListeners = new Set<() => void>();
  // Long reads move to a worker that fetches pages and checks hashes while this thread decodes (as for SQLite).
  const readAhead = options.readAhead ?? { afterRows: READ_AHEAD_AFTER_ROWS, minRows: READ_AHEAD_MIN_ROWS };
  const workerFor = (readQuery: ReadAheadQuery, pageSize: number): ReadAheadWorkerStart => {
    const data: PostgresReadWorkerData = { connectionString, schema, query: readQuery, pageSize };
    return { module: 'postgresReadWorker', data };
  };
  const readAheads = new Set<() => void>();
  const trackReadAhead = (): ((stop: (() => void) | null) => void) => {
    let current: (() => void) | null = null;
    return (stop) => {
      if (current !== null) readAheads.delete(current);
      current = stop;
      if (stop !== null) readAheads.add(stop);
    };
  };

  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[], kind: 'read' | 'write' = 'read'): Promise<R[]> => {
    ensureOpen();
    try {
      return (await pool.query<R>(text, values)).rows;
    } catch (e) {
      throw translate(e, url, kind);
    }
  };

  const readPageOnce = async (afterPosition: number, limit: number): Promise<StoredRow[]> =>
    (await query<EventRow>(`SELECT position, stream, revision, body, hash FROM ${q('events')} WHERE position > $1 ORDER BY position LIMIT $2`, [afterPosition, limit])).map(toStoredRow);

  const pages = pageQueries(schema);
  /** Rows as arrays (no object per row), in the read-ahead worker's shape. */
  const queryRows = async ({ text, values }: PageQuery): Promise<StoredRowTuple[]> => {
    ensureOpen();
    try {
      const config: pg.QueryArrayConfig = { text, values, rowMode: 'array' };
      return (await pool.query(config)).rows as unknown as StoredRowTuple[];
    } catch (e) {
      throw translate(e, url);
    }
  };

  const pagedLog: PagedLog = {
    // A subscription outlives a server restart: it retries a lost connection until reconnectTimeoutMs.
    readPage: async (afterPosition, limit) => {
      const giveUpAt = performance.now() + reconnectTimeoutMs;
      for (;;) {
        try {
          return await readPageOnce(afterPosition, limit);
        } catch (e) {
          if (!(e instanceof StoreUnavailableError) || closed || performance.now() > giveUpAt) throw e;
          await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS));
          ensureOpen();
        }
      }
    },
    onAppend: (listener) => {
      localListeners.add(listener);
      const offRemote = notifier.add(listener);
      return () => {
        localListeners.delete(listener);
        offRemote();
      };
    },
    externalPoll: { intervalMs: pollIntervalMs, watch: () => () => true },
  };

  const documents: DocumentStore = {
    get: async (collection, key) => {
      const rows = await query<{ value: string }>(`SELECT value FROM ${q('documents')} WHERE collection = $1 AND key = $2`, [collection, key]);
      return rows[0]?.value ?? null;
    },
    put: async (collection, key, value) => {
      ensureWritable();
      await query(
        `INSERT INTO ${q('documents')} (collection, key, value) VALUES ($1, $2, $3) ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value`,
        [collection, key, value],
        'write',
      );
    },
    delete: async (collection, key) => {
      ensureWritable();
      await query(`DELETE FROM ${q('documents')} WHERE collection = $1 AND key = $2`, [collection, key], 'write');
    },
    list: async (collection) => {
      const rows = await query<{ key: string }>(`SELECT key FROM ${q('documents')} WHERE collection = $1`, [collection]);
      // Sorted here, not by the database's collation: the port promises JavaScript string order.
      return rows.map((r) => r.key).sort(byCodeUnits);
    },
  };

  const lookupSql =
    `(SELECT stream, revision, hash, position, event_id, false AS head FROM ${q('events')} WHERE event_id = ANY($2::text[])) ` +
    `UNION ALL (SELECT stream, revision, hash, position, event_id, true FROM ${q('events')} WHERE stream = $1 ORDER BY revision DESC LIMIT 1)`;
  const insertSql =
    `WITH ins AS (INSERT INTO ${q('events')} (position, stream, revision, event_id, type, body, hash) ` +
    `SELECT $1::bigint + u.o, $2, u.r, u.i, u.t, u.b, u.h FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(r, i, t, b, h, o)), ` +
    `up AS (UPDATE ${q('log_head')} SET position = $1::bigint + cardinality($3::int[]) WHERE id = 1) ` +
    `SELECT pg_notify($8, ($1::bigint + cardinality($3::int[]))::text)`;

  // The whole append as one autocommitted statement: one round trip instead of five. Its snapshot predates the
  // counter lock it waits for, so its head check may be stale; the (stream, revision) and event_id constraints then
  // refuse the insert and the append takes the transaction path below (docs/event-store.md has the figures it buys).
  const fastSql =
    `WITH head AS (SELECT revision, hash FROM ${q('events')} WHERE stream = $1 ORDER BY revision DESC LIMIT 1), ` +
    `ok AS (SELECT 1 WHERE coalesce((SELECT revision FROM head), -1) = $8::int - 1 AND coalesce((SELECT hash FROM head), $10) = $9), ` +
    `lock AS (UPDATE ${q('log_head')} SET position = position + cardinality($2::int[]) WHERE id = 1 AND EXISTS (SELECT 1 FROM ok) RETURNING position - cardinality($2::int[]) AS top), ` +
    `ins AS (INSERT INTO ${q('events')} (position, stream, revision, event_id, type, body, hash) ` +
    `SELECT lock.top + u.o, $1, u.r, u.i, u.t, u.b, u.h FROM lock, unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(r, i, t, b, h, o)) ` +
    `SELECT top, pg_notify($7, (top + cardinality($2::int[]))::text) FROM lock`;

  /** The fast path for a fresh append (the usual case); null when the transaction path must decide. */
  const fastAppend = async (stream: string, rows: readonly EncodedEvent[], expected: AppendOptions['expectedRevision']): Promise<AppendResult | null> => {
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last) return null;
    // Only when the option agrees with the batch's own revisions; anything else goes the way that names the error.
    const agrees =
      expected === 'any' ||
      (expected === 'no_stream' ? first.revision === 0 : Number.isSafeInteger(expected) && expected >= 0 && expected === first.revision - 1);
    if (!agrees) return null;
    let found: pg.QueryResult<{ top: string }>;
    try {
      found = await pool.query<{ top: string }>(fastSql, [
        stream,
        rows.map((e) => e.revision),
        rows.map((e) => e.eventId),
        rows.map((e) => e.type),
        rows.map((e) => e.body),
        rows.map((e) => e.hash),
        channel,
        first.revision,
        first.prevHash,
        GENESIS_HASH,
      ]);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return null;
      throw translate(e, url, 'write');
    }
    const top = found.rows[0]?.top;
    if (top === undefined) return null;
    for (const listener of [...localListeners]) listener();
    return { nextExpectedRevision: last.revision, position: Number(top) + rows.length };
  };

  /** Appends writes in one transaction: the counter's lock, then each write checked against what is stored (writes before it in this transaction included) and inserted. */
  const transactionAppend = async (writes: readonly EncodedWrite[]): Promise<AppendResult[]> => {
    let client: pg.PoolClient;
    try {
      client = await checkOut(pool);
    } catch (e) {
      throw translate(e, url, 'write');
    }
    let broken: Error | undefined;
    let current = writes[0];
    let inserted = false;
    try {
      await client.query('BEGIN');
      // Taken first and held to commit: serialises position assignment (see the function's doc).
      const locked = await client.query<{ position: string }>(`UPDATE ${q('log_head')} SET position = position WHERE id = 1 RETURNING position`);
      let top = Number(locked.rows[0]?.position ?? 0);
      const results: AppendResult[] = [];
      for (const write of writes) {
        current = write;
        const { stream, rows } = write;
        // A separate statement after the lock, so its snapshot sees every append committed before ours (and this transaction's own).
        const found = await client.query<EventRow & { event_id: string; head: boolean }>(lookupSql, [stream, rows.map((r) => r.eventId)]);
        const byId = new Map<string, StoredEventRef>();
        let head: StreamHead | null = null;
        for (const r of found.rows) {
          const ref = { stream: r.stream, revision: r.revision, hash: r.hash, position: Number(r.position) };
          if (r.head) head = ref;
          else byId.set(r.event_id, ref);
        }
        let pending: readonly EncodedEvent[] | null = null;
        const target: AppendTarget = {
          eventById: (eventId) => byId.get(eventId) ?? null,
          streamHead: () => head,
          insert: (_stream, encoded) => {
            if (encoded.some((e) => byId.has(e.eventId))) return null;
            pending = encoded;
            return top + encoded.length;
          },
        };
        results.push(appendBatch(target, stream, rows, write.expectedRevision));
        const toInsert = pending as readonly EncodedEvent[] | null;
        if (toInsert) {
          await client.query(insertSql, [
            top,
            stream,
            toInsert.map((e) => e.revision),
            toInsert.map((e) => e.eventId),
            toInsert.map((e) => e.type),
            toInsert.map((e) => e.body),
            toInsert.map((e) => e.hash),
            channel,
          ]);
          top += toInsert.length;
          inserted = true;
        }
      }
      await client.query('COMMIT');
      if (inserted) for (const listener of [...localListeners]) listener();
      return results;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      // The (stream, revision) constraint backs the check above; a clash there is another writer's append.
      if (isUniqueViolation(e, 'stream') && current) throw new WrongExpectedRevisionError(current.stream, current.expectedRevision, 'no_stream');
      throw translate(e, url, 'write');
    } finally {
      checkIn(client, broken);
    }
  };

  // A writer lock is a session advisory lock held on a connection of its own: the server releases it the moment that
  // connection ends, so a holder killed on any machine never blocks a restart, and one whose machine died blocks it
  // only until the server's keepalive gives up on it (LOCK_CONNECTION_KEEPALIVE). A row names the holder for others.
  const heldLocks = new Set<() => Promise<void>>();
  /** Takes `key`'s lock on a new connection for `holder` and names it in its row; the connection holds it. */
  const takeLock = async (key: string, holder: WriterLockHolder): Promise<pg.Client> => {
    let client: pg.Client | undefined;
    try {
      client = await openLockConnection(connectionString);
      // Starters decide holding the row's lock, so one that is refused reads the row only once the winner has named
      // itself in it. Taking the advisory lock first and writing the row after let a second starter look in between
      // and name the previous holder: a process that had died.
      await client.query('BEGIN');
      // A starter that stopped mid-start (its machine froze) holds the row until the server drops its session: wait a
      // bounded time for it, then refuse clearly rather than hang.
      await client.query(`SET LOCAL lock_timeout = ${writerLockWaitMs}`);
      const values = [key, holder.pid, holder.host, holder.since];
      await client.query(`INSERT INTO ${q('writer_locks')} (key, pid, host, since) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`, values);
      const row = await client.query<WriterLockHolder>(`SELECT pid, host, since FROM ${q('writer_locks')} WHERE key = $1 FOR UPDATE`, [key]);
      // A session-level advisory lock outlives the transaction it is taken in, committed or not.
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockNameOf(key)]);
      if (got.rows[0]?.ok !== true) {
        await client.query('ROLLBACK');
        const other = row.rows[0];
        // The row this starter just wrote names nobody: the holder's row was missing.
        const named = other !== undefined && !(Number(other.pid) === holder.pid && other.host === holder.host && other.since === holder.since);
        throw new WriterLockedError(key, named ? { pid: Number(other.pid), host: other.host, since: other.since } : UNKNOWN_HOLDER, url);
      }
      await client.query(`UPDATE ${q('writer_locks')} SET pid = $2, host = $3, since = $4 WHERE key = $1`, values);
      await client.query('COMMIT');
      return client;
    } catch (e) {
      await client?.end().catch(() => undefined);
      if ((e as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new WriterLockBusyError(key, url, writerLockWaitMs);
      throw e instanceof WriterLockedError ? e : translate(e, url, 'write');
    }
  };
  // Locks whose connection ended (a server restart, a terminated backend): the server let them go, so another process
  // may have taken them. Each is taken again at once, retried while the server is away, and in any case before this
  // store's next append, which fails naming the new holder if another process took it meanwhile.
  const lostLocks = new Map<string, () => Promise<void>>();
  const retakeLostLocks = async (): Promise<void> => {
    for (const retake of [...lostLocks.values()]) await retake();
  };
  /** The name of `key`'s advisory lock (hashed to the lock's bigint key by the server). */
  const lockNameOf = (key: string): string => `stratafolio writer ${schema} ${key}`;
  const writerLockHolder = async (key: string): Promise<WriterLockHolder | null> => {
    // The advisory lock is the truth (it dies with its holder's connection), and pg_locks shows it without taking it: a
    // bigint key is listed as its high and low 32 bits (classid, objid) with objsubid 1.
    const held = await query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l, (SELECT hashtext($1)::bigint AS v) k
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
           AND l.classid::bigint = ((k.v >> 32) & 4294967295) AND l.objid::bigint = (k.v & 4294967295)) AS held`,
      [lockNameOf(key)],
    );
    if (held[0]?.held !== true) return null;
    const rows = await query<WriterLockHolder>(`SELECT pid, host, since FROM ${q('writer_locks')} WHERE key = $1`, [key]).catch(() => []);
    const row = rows[0];
    return row === undefined ? UNKNOWN_HOLDER : { pid: Number(row.pid), host: row.host, since: row.since };
  };
  const acquireWriterLock = async (key: string): Promise<WriterLock> => {
    ensureWritable();
    // Named by pid, host and since only: the advisory lock says whether the holder lives, so its boot and start time
    // (which judge a holder by pid elsewhere) decide nothing here, and the row keeps the columns every version has.
    const { pid, host, since } = currentHolder();
    const holder: WriterLockHolder = { pid, host, since };
    let client = await takeLock(key, holder);
    let released = false;
    // One retake at a time: the one started when the connection ended and the one an append asks for are the same.
    let retaking: Promise<void> | null = null;
    const retake = (): Promise<void> => {
      retaking ??= takeLock(key, holder).then(
        (c) => {
          retaking = null;
          client = c;
          lostLocks.delete(key);
          watch(c);
          // Released while it was being taken (release does not wait for a server that may be unreachable for minutes):
          // the new connection, and with it the lock, is let go at once.
          if (released) void c.end().catch(() => undefined);
        },
        (e: unknown) => {
          retaking = null;
          throw e;
        },
      );
      return retaking;
    };
    // Taken again as soon as it is lost, not at the next append: a session on daily bars appends once a day, and until
    // then `command` would say no session runs and a second writer would start beside it. A server that is away is
    // tried again (250 ms doubling to 5 s) until it is back; another holder ends the tries, and the next append names it.
    const retakeSoon = async (): Promise<void> => {
      for (let delay = 250; !released && !closed && lostLocks.has(key); delay = Math.min(delay * 2, 5000)) {
        try {
          await retake();
          return;
        } catch (e) {
          if (e instanceof WriterLockedError || e instanceof WriterLockBusyError) return;
        }
        await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
      }
    };
    const watch = (c: pg.Client): void => {
      c.once('end', () => {
        if (released || c !== client) return;
        lostLocks.set(key, retake);
        void retakeSoon();
      });
    };
    watch(client);
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      heldLocks.delete(release);
      lostLocks.delete(key);
      await client.query(`DELETE FROM ${q('writer_locks')} WHERE key = $1 AND pid = $2 AND host = $3 AND since = $4`, [key, holder.pid, holder.host, holder.since]).catch(() => undefined);
      // Ending the session releases the advisory lock.
      await client.end().catch(() => undefined);
    };
    heldLocks.add(release);
    return { key, holder, release };
  };

  return {
    url,
    offThreadAppends: true,
    documents,
    acquireWriterLock,
    writerLockHolder,
    async append(stream: string, events: readonly SealedEvent[], opts: AppendOptions): Promise<AppendResult> {
      ensureWritable();
      if (lostLocks.size > 0) await retakeLostLocks();
      const rows = encodeBatch(stream, events);
      const fast = await fastAppend(stream, rows, opts.expectedRevision);
      if (fast) return fast;
      const [result] = await transactionAppend([{ stream, rows, expectedRevision: opts.expectedRevision }]);
      return result as AppendResult;
    },
    async appendMany(writes: readonly StreamAppend[]): Promise<AppendResult[]> {
      ensureWritable();
      if (lostLocks.size > 0) await retakeLostLocks();
      const encoded = encodeWrites(writes);
      if (encoded.length === 0) return [];
      return transactionAppend(encoded);
    },
    readStream(stream: string, opts: { readonly fromRevision?: number } = {}): AsyncIterable<RecordedEvent> {
      let from = Math.max(0, opts.fromRevision ?? 0);
      const reuse = decodeReuse();
      const page = prefetchingPages(async (fromRevision, upTo) => {
        const range = pages.streamPage(stream, fromRevision, upTo, PAGE_SIZE);
        const rows = await queryRows(range);
        const next = await pages.streamNext(stream, fromRevision, range.end, upTo, rows.length, async (first) => (await queryRows(first))[0]?.[0] ?? null);
        return { rows, next };
      }, (row) => row[1]);
      const read = readAheadPages<StoredRowTuple>({
        path: url,
        options: readAhead,
        query: () => ({ kind: 'stream', stream, fromRevision: from }),
        worker: workerFor,
        inThread: async (before) => {
          const { rows, next } = await page(from, before?.kind === 'stream' ? before.fromRevision - 1 : MAX_REVISION);
          const last = rows[rows.length - 1];
          if (last) from = last[1] + 1;
          if (next !== null) from = next;
          return { rows, more: next !== null };
        },
        advance: (last) => {
          from = last.metadata.revision + 1;
        },
        track: trackReadAhead(),
        ahead: {
          rowsLeft: async () => {
            const rows = await query<{ top: number | null }>(`SELECT max(revision) AS top FROM ${q('events')} WHERE stream = $1`, [stream]);
            return (rows[0]?.top ?? from - 1) - from + 1;
          },
          query: (rows) => ({ kind: 'stream', stream, fromRevision: from + rows }),
        },
      });
      return pagedRead(() => {
        ensureOpen();
        return read.nextPage();
      }, (row) => decodeStoredAt(row[2], row[3], stream, row[1], row[0], reuse), read.stop);
    },
    readAll(opts: { readonly fromPosition?: number } = {}): AsyncIterable<RecordedEvent> {
      let after = Math.max(0, (opts.fromPosition ?? 1) - 1);
      const reuse = decodeReuse();
      const page = prefetchingPages(async (afterPosition, upTo) => {
        const rows = await queryRows(pages.logPage(afterPosition, upTo, PAGE_SIZE));
        const last = rows[rows.length - 1];
        return { rows, next: rows.length === PAGE_SIZE && last !== undefined ? last[0] : null };
      }, (row) => row[0]);
      const read = readAheadPages<StoredRowTuple>({
        path: url,
        options: readAhead,
        query: () => ({ kind: 'all', afterPosition: after }),
        worker: workerFor,
        inThread: async (before) => {
          const { rows, next } = await page(after, before?.kind === 'all' ? before.afterPosition : Number.MAX_SAFE_INTEGER);
          const last = rows[rows.length - 1];
          if (last) after = last[0];
          return { rows, more: next !== null };
        },
        advance: (last) => {
          after = last.position;
        },
        track: trackReadAhead(),
        ahead: {
          rowsLeft: async () => {
            const rows = await query<{ position: string }>(`SELECT position FROM ${q('log_head')} WHERE id = 1`, []);
            return Number(rows[0]?.position ?? after) - after;
          },
          query: (rows) => ({ kind: 'all', afterPosition: after + rows }),
        },
      });
      return pagedRead(() => {
        ensureOpen();
        return read.nextPage();
      }, (row) => decodeStoredAt(row[2], row[3], row[4] as string, row[1], row[0], reuse), read.stop);
    },
    subscribe(opts: { readonly fromPosition?: number } = {}): Observable<RecordedEvent> {
      ensureOpen();
      return catchUpSubscription(pagedLog, Math.max(1, opts.fromPosition ?? 1), live);
    },
    async streamRevision(stream: string): Promise<number | 'no_stream'> {
      const rows = await query<{ revision: number }>(`SELECT revision FROM ${q('events')} WHERE stream = $1 ORDER BY revision DESC LIMIT 1`, [stream]);
      return rows[0]?.revision ?? 'no_stream';
    },
    async listStreams(): Promise<string[]> {
      const rows = await query<{ stream: string }>(`SELECT DISTINCT stream FROM ${q('events')}`, []);
      return rows.map((r) => r.stream).sort(byCodeUnits);
    },
    /** PostgreSQL's own background writer and autovacuum do its upkeep. */
    async maintain(): Promise<void> {},
    async close(): Promise<void> {
      if (closed) return;
      for (const sub of [...live]) sub.complete();
      for (const stop of [...readAheads]) stop();
      closed = true;
      for (const release of [...heldLocks]) await release();
      await notifier.close();
      await pool.end();
    },
  };
}

/** The tables of a store; a schema without the first three holds none (`writer_locks` came later). */
const STORE_TABLES = ['events', 'log_head', 'documents', 'writer_locks'] as const;

/**
 * Checks the schema holds a store of a layout this code reads, creating its tables first when `mode` is `create` and
 * any is missing (under an advisory lock, so concurrent first opens do not race). A schema that holds them all is
 * only read: a role without DDL rights (or with SELECT only) opens it, and a reading command never creates a schema.
 */
async function openSchema(pool: pg.Pool, schema: string, url: string, mode: 'create' | 'existing' | 'read-only'): Promise<void> {
  const q = (name: string): string => `"${schema}".${name}`;
  const client = await checkOut(pool);
  try {
    // The catalogue is readable by every role, so this asks no privilege on the schema itself.
    const found = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
      [schema, STORE_TABLES],
    );
    const present = new Set(found.rows.map((r) => r.relname));
    const missing = STORE_TABLES.filter((t) => !present.has(t));
    if (mode !== 'create' && missing.some((t) => t !== 'writer_locks')) {
      throw new StoreConfigError(
        `event store ${url}: schema "${schema}" holds no stratafolio log (no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}); ` +
          `nothing was created. Check ?schema= in the URL (default public), or write a log there first`,
      );
    }
    if (mode !== 'read-only' && missing.length > 0) await createTables(client, schema);
    const version = await client.query<{ schema_version: number }>(`SELECT schema_version FROM ${q('log_head')} WHERE id = 1`);
    const stored = version.rows[0]?.schema_version ?? POSTGRES_SCHEMA_VERSION;
    if (stored > POSTGRES_SCHEMA_VERSION) {
      throw new StoreConfigError(
        `schema "${schema}" holds a stratafolio log of layout version ${stored}, newer than this stratafolio understands (${POSTGRES_SCHEMA_VERSION}); upgrade stratafolio`,
      );
    }
  } catch (e) {
    throw translate(e, url, 'write');
  } finally {
    checkIn(client);
  }
}

async function createTables(client: pg.PoolClient, schema: string): Promise<void> {
  const q = (name: string): string => `"${schema}".${name}`;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stratafolio schema ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q('events')} (` +
        'position bigint PRIMARY KEY, stream text NOT NULL, revision integer NOT NULL, event_id text NOT NULL UNIQUE, ' +
        'type text NOT NULL, body text NOT NULL, hash text NOT NULL, UNIQUE (stream, revision))',
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q('log_head')} (id smallint PRIMARY KEY CHECK (id = 1), position bigint NOT NULL, schema_version integer NOT NULL)`,
    );
    await client.query(`INSERT INTO ${q('log_head')} (id, position, schema_version) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING`, [POSTGRES_SCHEMA_VERSION]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q('documents')} (collection text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (collection, key))`,
    );
    await client.query(`CREATE TABLE IF NOT EXISTS ${q('writer_locks')} (key text PRIMARY KEY, pid integer NOT NULL, host text NOT NULL, since text NOT NULL)`);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** Ignores a lost connection's 'error' event on a checked-out client: the statement in flight fails with it instead. */
const ignoreLostConnection = (): void => undefined;

/**
 * A client checked out of the pool for a transaction. The pool listens for a lost connection only on idle clients;
 * a checked-out one the server ends (a restart, a terminated backend) emits an 'error' event nobody listens to,
 * which kills the process with a stack trace instead of failing the statement with StoreUnavailableError.
 */
async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on('error', ignoreLostConnection);
  return client;
}

/** Returns a client of {@link checkOut} to the pool, which drops it when its connection is gone or `broken` is given. */
function checkIn(client: pg.PoolClient, broken?: Error): void {
  client.removeListener('error', ignoreLostConnection);
  client.release(broken);
}

/**
 * One LISTEN connection per store, shared by its subscriptions. It reconnects after a lost server and then wakes
 * every listener, since notifications sent while it was away are gone (the subscription re-reads from its position).
 */
class Notifier {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private connecting = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
  ) {}

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    this.ensure();
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private ensure(): void {
    if (this.closed || this.client || this.connecting || this.retry) return;
    this.connecting = true;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: connectTimeoutMs(this.connectionString) });
    client.on('error', () => undefined);
    client.on('notification', () => this.wake());
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = null;
      this.later();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN "${this.channel}"`))
      .then(
        async () => {
          this.connecting = false;
          if (this.closed) {
            await client.end().catch(() => undefined);
            return;
          }
          this.client = client;
          this.wake();
        },
        async () => {
          this.connecting = false;
          await client.end().catch(() => undefined);
          this.later();
        },
      );
  }

  private later(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.ensure();
    }, RECONNECT_DELAY_MS);
    // The poll behind it keeps subscriptions correct meanwhile; a retry must not hold the process open.
    this.retry.unref();
  }
}

/**
 * A read's in-thread pages, each asked for as soon as the one before it arrives, so the server reads a page while this
 * thread decodes the last. `fetch(cursor, upTo)` reads the page at a cursor, no further than key `upTo`, and says where
 * the next starts. A page fetched ahead for a cursor the read has left (a worker took over) is dropped; one fetched for
 * a later bound is cut to the bound asked for (`upTo` is a revision or position, both a row's key as `keyOf` reads it).
 */
function prefetchingPages(
  fetch: (cursor: number, upTo: number) => Promise<PgPage>,
  keyOf: (row: StoredRowTuple) => number,
): (cursor: number, upTo: number) => Promise<PgPage> {
  let ahead: { cursor: number; upTo: number; page: Promise<PgPage> } | null = null;
  return async (cursor, upTo) => {
    const fetched = ahead;
    ahead = null;
    let page: PgPage;
    if (fetched !== null && fetched.cursor === cursor && fetched.upTo >= upTo) {
      page = await fetched.page;
      if (fetched.upTo > upTo) {
        const rows = page.rows.filter((r) => keyOf(r) <= upTo);
        page = { rows, next: rows.length < page.rows.length || page.next === null || page.next > upTo ? null : page.next };
      }
    } else {
      page = await fetch(cursor, upTo);
    }
    if (page.next !== null) {
      const following = fetch(page.next, upTo);
      // Dropped unread when a worker takes over; its failure is then nobody's.
      following.catch(() => undefined);
      ahead = { cursor: page.next, upTo, page: following };
    }
    return page;
  };
}

function toStoredRow(r: EventRow): StoredRow {
  return { position: Number(r.position), stream: r.stream, revision: r.revision, body: r.body, hash: r.hash };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SQLSTATE classes and socket errors that mean "the server is not there", as opposed to a bad statement. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

function isUniqueViolation(e: unknown, constraintPart: string): boolean {
  const err = e as { code?: string; constraint?: string };
  return err?.code === '23505' && typeof err.constraint === 'string' && err.constraint.includes(constraintPart);
}

/** SQLSTATEs of a login the server refused for what the URL says: its password, its user, its database. */
const REFUSED_LOGIN_CODES = new Set(['28P01', '28000', '3D000']);
/** SQLSTATE insufficient_privilege: the URL's role may not do this. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Turns a driver error into the store's typed errors; typed errors of our own pass through. A privilege the role lacks
 * is the store being read-only to it when the statement would write (`write`), and a store it may not read otherwise.
 */
function translate(e: unknown, url: string, kind: 'read' | 'write' = 'read'): unknown {
  if (!(e instanceof Error)) return e;
  const code = (e as { code?: string }).code;
  if (code !== undefined && REFUSED_LOGIN_CODES.has(code)) {
    return new StoreConfigError(`event store ${url} refused the connection (${e.message}); check the user, password and database in the URL`);
  }
  // pg's own words when the server asks for a password (SCRAM) and neither the URL nor PGPASSWORD gives one: nothing
  // names the store or says what is missing, and no retry will find a password.
  if (/client password must be a (?:non-empty )?string|Password must be a string/i.test(e.message)) {
    return new StoreConfigError(`event store ${url} asks for a password and the URL gives none: write it in the URL (postgres://user:password@host:5432/database) or set PGPASSWORD`);
  }
  // The URL asks for SSL (sslmode, ssl=true) and the server has none: no retry will change that, the URL must.
  if (/does not support SSL connections/i.test(e.message)) {
    const mode = /[?&](sslmode=[^&]*|ssl=[^&]*)/.exec(url)?.[1] ?? 'ssl';
    return new StoreConfigError(`event store ${url}: the server does not support SSL connections, and the URL asks for them (${mode}): remove sslmode, or use sslmode=disable, or enable SSL on the server`);
  }
  if (code === INSUFFICIENT_PRIVILEGE) {
    return kind === 'write' ? new StorePermissionError(url, e.message) : new StoreConfigError(`event store ${url} cannot be read by this role (${e.message})`);
  }
  // pg's words when the connect timeout ran out before the server answered.
  if (e.message === 'timeout expired') {
    return new StoreUnavailableError(url, `no answer within the connect timeout (connect_timeout in the URL, else ${DEFAULT_CONNECT_TIMEOUT_MS / 1000} s)`);
  }
  const lost = /Connection terminated|connection (?:is )?closed|Client has encountered a connection error|not queryable/i.test(e.message);
  if ((code && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) || lost) {
    return new StoreUnavailableError(url, e.message || code || 'connection failed');
  }
  return e;
}
