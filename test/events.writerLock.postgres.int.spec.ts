// The PostgreSQL writer lock's connection: TCP keepalive tuned so the server drops the session (and the advisory lock)
// of a holder whose machine died within about a minute, and a starter that waits on another starter's row is refused
// after a bounded wait instead of hanging.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, openPostgresEventStore, parseStoreUrl } from '../events/openEventStore.js';
import { LOCK_CONNECTION_KEEPALIVE, lockConnectionConfig, openLockConnection } from '../events/adapters/postgresStore.js';
import { isWriterLockBusyError, isWriterLockedError } from '../events/writerLock.js';
import { POSTGRES_URL, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';

describe('PostgreSQL writer lock connection settings', () => {
  it('the lock connection keeps TCP alive from both ends, probing soon enough to drop a dead peer within about a minute', () => {
    const config = lockConnectionConfig('postgres://db/x');
    expect(config).toMatchObject({ keepAlive: true, keepAliveInitialDelayMillis: LOCK_CONNECTION_KEEPALIVE.idleSeconds * 1000 });
    const { idleSeconds, intervalSeconds, count } = LOCK_CONNECTION_KEEPALIVE;
    expect(idleSeconds + intervalSeconds * count).toBeLessThanOrEqual(60);
  });
});

const schemas: { base: string; schema: string }[] = [];
afterEach(async () => {
  for (const { base, schema } of schemas.splice(0)) {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
});

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('the PostgreSQL writer lock connection (keepalive, bounded wait)');
} else {
  const base = POSTGRES_URL;
  const fresh = (): { url: string; schema: string } => {
    const schema = `lock_${randomBytes(6).toString('hex')}`;
    schemas.push({ base, schema });
    return { url: withSchema(base, schema), schema };
  };

  describe('PostgreSQL writer lock', () => {
    it('the session holding the lock asks the server to probe its TCP peer (idle, interval, count) and is named in pg_stat_activity', async () => {
      const client = await openLockConnection(base);
      try {
        const show = async (name: string): Promise<string> => (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? '';
        // Over a TCP connection (a Unix socket reads 0: there is no peer to probe).
        expect(await show('tcp_keepalives_idle')).toBe(String(LOCK_CONNECTION_KEEPALIVE.idleSeconds));
        expect(await show('tcp_keepalives_interval')).toBe(String(LOCK_CONNECTION_KEEPALIVE.intervalSeconds));
        expect(await show('tcp_keepalives_count')).toBe(String(LOCK_CONNECTION_KEEPALIVE.count));
      } finally {
        await client.end();
      }
      // The store's own lock is held on such a connection.
      const { url } = fresh();
      const store = await openEventStore(url);
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        const lock = await store.acquireWriterLock('p1');
        const sessions = await admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
            WHERE a.application_name = 'stratafolio writer lock'`,
        );
        expect(Number(sessions.rows[0]?.n)).toBeGreaterThanOrEqual(1);
        await lock.release();
      } finally {
        await admin.end();
        await store.close();
      }
    });

    it('a lock whose connection the server ended is taken again at once, not at the next append: an idle writer is still named, and a second writer refused', async () => {
      // A session on daily bars appends once a day: waiting for its next append left the portfolio unlocked that long
      // after a server restart, with `command` saying no session runs and a second `paper` starting beside it.
      const { url, schema } = fresh();
      const writer = await openEventStore(url);
      const other = await openEventStore(url);
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        const lock = await writer.acquireWriterLock('p1');
        const ended = await admin.query(
          `SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l, (SELECT hashtext($1)::bigint AS v) k
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = ((k.v >> 32) & 4294967295) AND l.objid::bigint = (k.v & 4294967295)`,
          [`stratafolio writer ${schema} p1`],
        );
        expect(ended.rows).toHaveLength(1);
        const giveUp = Date.now() + 5000;
        while ((await other.writerLockHolder('p1')) === null && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 25));
        expect(await other.writerLockHolder('p1')).toEqual(lock.holder);
        const refused = await other.acquireWriterLock('p1').catch((e: unknown) => e);
        expect(isWriterLockedError(refused)).toBe(true);
        await lock.release();
        await (await other.acquireWriterLock('p1')).release();
      } finally {
        await admin.end();
        await other.close();
        await writer.close();
      }
    });

    it("a starter blocked on another starter's row lock is refused after the bounded wait, naming the portfolio and the store, and starts once that row is free", async () => {
      const { url, schema } = fresh();
      await (await openEventStore(url)).close();
      const location = parseStoreUrl(url);
      if (location.kind !== 'postgres') throw new Error('not a postgres URL');
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      // A starter that stopped between taking the row's lock and committing (its machine froze, say).
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO "${schema}".writer_locks (key, pid, host, since) VALUES ('p1', 1, 'frozen', 'then')`);
      const store = await openPostgresEventStore(location.connectionString, { url: 'the store', schema, writerLockWaitMs: 300 });
      try {
        const started = Date.now();
        const refused = await store.acquireWriterLock('p1').catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(isWriterLockBusyError(refused)).toBe(true);
        expect(isWriterLockedError(refused)).toBe(false);
        expect((refused as Error).message).toMatch(/portfolio "p1" in the store: .*more than 300 ms/);
        await admin.query('ROLLBACK');
        await (await store.acquireWriterLock('p1')).release();
      } finally {
        await admin.end();
        await store.close();
      }
    });
  });
}
