// The writer lock of the store port: a second writer is refused at start naming the holder; a lock left by a dead
// process is taken over; release and close free it. Run against memory and SQLite.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore, MemoryLog, openSqliteEventStore } from '../events/openEventStore.js';
import { isWriterLockedError, WriterLockedError } from '../events/writerLock.js';
import type { EventStore } from '../events/store.js';

let dir = '';
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

const adapters: { name: string; pair: () => [EventStore, EventStore] }[] = [
  {
    name: 'memory',
    pair: () => {
      const log = new MemoryLog();
      return [createMemoryEventStore({ log }), createMemoryEventStore({ log })];
    },
  },
  {
    name: 'sqlite',
    pair: () => {
      dir = mkdtempSync(join(tmpdir(), 'lock-'));
      const path = join(dir, 'store.db');
      return [openSqliteEventStore(path), openSqliteEventStore(path)];
    },
  },
];

describe.each(adapters)('writer lock ($name)', ({ pair }) => {
  it('refuses a second holder with the first one named, and frees the lock on release and on close', async () => {
    const [a, b] = pair();
    const lock = await a.acquireWriterLock('p1');
    expect(lock.holder).toMatchObject({ pid: process.pid, host: hostname() });
    const refused = await b.acquireWriterLock('p1').catch((e: unknown) => e);
    expect(isWriterLockedError(refused)).toBe(true);
    expect((refused as WriterLockedError).holder).toEqual(lock.holder);
    expect((refused as Error).message).toContain(`process ${process.pid} on ${hostname()} since ${lock.holder.since}`);
    // Another portfolio is another lock.
    await (await b.acquireWriterLock('p2')).release();
    await lock.release();
    const again = await b.acquireWriterLock('p1');
    await b.close();
    await (await a.acquireWriterLock('p1')).release();
    await a.close();
    expect(again.key).toBe('p1');
  });
});

describe('writer lock (sqlite, other processes)', () => {
  const plant = (path: string, pid: number): void => {
    const db = new Database(path);
    db.exec('CREATE TABLE IF NOT EXISTS writer_locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL) WITHOUT ROWID');
    db.prepare('INSERT OR REPLACE INTO writer_locks VALUES (?, ?, ?, ?)').run('p1', pid, hostname(), '2024-03-01T00:00:00.000Z');
    db.close();
  };

  it('takes over a lock whose holder died, and refuses one whose holder is alive', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const path = join(dir, 'store.db');
    openSqliteEventStore(path).close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    plant(path, dead);
    const store = openSqliteEventStore(path);
    const lock = await store.acquireWriterLock('p1');
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();

    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      plant(path, alive.pid as number);
      const refused = await store.acquireWriterLock('p1').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriterLockedError);
      expect((refused as Error).message).toContain(`process ${alive.pid} on ${hostname()} since 2024-03-01T00:00:00.000Z`);
    } finally {
      alive.kill('SIGKILL');
      await store.close();
    }
  });
});

describe('writer lock (sqlite, an earlier process with this pid)', () => {
  // In a container the session is pid 1 (or another fixed pid) on the same host name at every restart: the row a
  // killed run left names this very process's pid, and counting it alive would refuse every restart for ever.
  it('takes over a row naming this pid that this process never wrote, and still refuses its own second writer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const path = join(dir, 'store.db');
    const store = openSqliteEventStore(path);
    const other = openSqliteEventStore(path);
    try {
      const db = new Database(path);
      db.exec('CREATE TABLE IF NOT EXISTS writer_locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL) WITHOUT ROWID');
      db.prepare('INSERT OR REPLACE INTO writer_locks VALUES (?, ?, ?, ?)').run('p1', process.pid, hostname(), '2024-03-01T00:00:00.000Z');
      db.close();
      expect(await store.writerLockHolder('p1')).toBeNull();
      const lock = await store.acquireWriterLock('p1');
      expect(lock.holder.since).not.toBe('2024-03-01T00:00:00.000Z');
      expect(await other.writerLockHolder('p1')).toEqual(lock.holder);
      await expect(other.acquireWriterLock('p1')).rejects.toBeInstanceOf(WriterLockedError);
      await lock.release();
    } finally {
      await other.close();
      await store.close();
    }
  });
});

describe('writer lock (sqlite, a holder on another host)', () => {
  // A store on a volume shared by containers: a session killed in one container leaves a row naming that container's
  // host name, which a container recreated with another name can never judge dead.
  it('is refused without promising a takeover that never comes, and says how to remove the lock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const path = join(dir, 'store.db');
    const store = openSqliteEventStore(path);
    try {
      const db = new Database(path);
      db.exec('CREATE TABLE IF NOT EXISTS writer_locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL) WITHOUT ROWID');
      db.prepare('INSERT OR REPLACE INTO writer_locks VALUES (?, ?, ?, ?)').run('p1', 7, 'container-a', '2024-03-01T00:00:00.000Z');
      const refused = await store.acquireWriterLock('p1').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriterLockedError);
      const message = (refused as Error).message;
      expect(message).toContain('process 7 on container-a since 2024-03-01T00:00:00.000Z');
      expect(message).not.toContain('taken over automatically');
      expect(message).toContain(`never taken over from here`);
      expect(message).toContain(`DELETE FROM writer_locks WHERE key = 'p1'`);
      // Doing what it says frees the portfolio.
      db.exec("DELETE FROM writer_locks WHERE key = 'p1'");
      db.close();
      await (await store.acquireWriterLock('p1')).release();
    } finally {
      await store.close();
    }
  });
});

describe('writer lock holder (sqlite): a look that takes nothing', () => {
  it('names a live holder, not a dead one, and answers while another connection holds the write lock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const path = join(dir, 'store.db');
    // A short busy timeout: a look that took SQLite's write lock (as acquiring does) would fail with StoreBusyError.
    const store = openSqliteEventStore(path, { busyTimeoutMs: 50 });
    try {
      expect(await store.writerLockHolder('p1')).toBeNull();
      const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
      const writer = new Database(path);
      try {
        writer.exec('CREATE TABLE IF NOT EXISTS writer_locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL) WITHOUT ROWID');
        writer.prepare('INSERT OR REPLACE INTO writer_locks VALUES (?, ?, ?, ?)').run('p1', alive.pid, hostname(), '2024-03-01T00:00:00.000Z');
        writer.exec('BEGIN IMMEDIATE');
        expect(await store.writerLockHolder('p1')).toEqual({ pid: alive.pid, host: hostname(), since: '2024-03-01T00:00:00.000Z' });
        writer.exec('ROLLBACK');
        const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
        writer.prepare('INSERT OR REPLACE INTO writer_locks VALUES (?, ?, ?, ?)').run('p1', dead, hostname(), '2024-03-01T00:00:00.000Z');
        expect(await store.writerLockHolder('p1')).toBeNull();
      } finally {
        writer.close();
        alive.kill('SIGKILL');
      }
    } finally {
      await store.close();
    }
  });
});
