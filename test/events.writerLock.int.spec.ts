// The writer lock of the store port: a second writer is refused at start naming the holder; a lock left by a dead
// process is taken over; release and close free it. Run against memory and SQLite.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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
    // Named columns, as every version writes them: the table may have more by now.
    db.prepare('INSERT OR REPLACE INTO writer_locks (key, pid, host, since) VALUES (?, ?, ?, ?)').run('p1', pid, hostname(), '2024-03-01T00:00:00.000Z');
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

describe.skipIf(process.platform !== 'linux')(
  `writer lock (sqlite): a holder named by its boot and start time, not its pid alone${process.platform === 'linux' ? '' : ' — SKIPPED: no /proc here, so holders are judged by pid only'}`,
  () => {
    // After a reboot, or once pids wrap around, a dead holder's pid may belong to an unrelated live process (for a
    // service started at boot, another early process): judged by the pid alone, that lock would refuse every restart.
    const since = '2024-03-01T00:00:00.000Z';
    const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    /** Field 22 of /proc/<pid>/stat, read past the last ")" (the command name before it may hold anything). */
    const startTimeOf = (pid: number): number => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    };
    /** A live unrelated process whose command name holds ") (" and spaces, as /proc/<pid>/stat shows it. */
    const unrelated = (): ReturnType<typeof spawn> => {
      const link = join(dir, 'sl) (eep 9');
      symlinkSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), link);
      return spawn(link, ['30'], { stdio: 'ignore' });
    };
    const plant = (path: string, pid: number, identity: { bootId: string | null; startTime: number | null }): void => {
      const db = new Database(path);
      db.prepare('INSERT OR REPLACE INTO writer_locks (key, pid, host, since, boot_id, start_time) VALUES (?, ?, ?, ?, ?, ?)').run(
        'p1',
        pid,
        hostname(),
        since,
        identity.bootId,
        identity.startTime,
      );
      db.close();
    };

    it('takes over a row whose pid is now an unrelated process (another start time, or another boot), and refuses the holder itself', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lock-'));
      const path = join(dir, 'store.db');
      const store = openSqliteEventStore(path);
      const sleeper = unrelated();
      try {
        const pid = sleeper.pid as number;
        expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe('sl) (eep 9\n');
        // This process's own lock records its identity, so the table has the columns to plant into.
        const own = await store.acquireWriterLock('p1');
        expect(own.holder).toMatchObject({ bootId: bootId(), startTime: startTimeOf(process.pid) });
        await own.release();
        const started = startTimeOf(pid);

        // The holder itself: same boot, same pid, same start time.
        plant(path, pid, { bootId: bootId(), startTime: started });
        expect(await store.writerLockHolder('p1')).toEqual({ pid, host: hostname(), since, bootId: bootId(), startTime: started });
        const refused = await store.acquireWriterLock('p1').catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(WriterLockedError);
        expect((refused as Error).message).toContain(`is being written by process ${pid} on ${hostname()} since ${since}; stop that process first`);

        // The pid was reused: the process that has it now started at another time.
        plant(path, pid, { bootId: bootId(), startTime: started + 1 });
        expect(await store.writerLockHolder('p1')).toBeNull();
        const afterReuse = await store.acquireWriterLock('p1');
        expect(afterReuse.holder.pid).toBe(process.pid);
        await afterReuse.release();

        // Written before a reboot: whatever has the pid now is not that holder.
        plant(path, pid, { bootId: 'aaaaaaaa-0000-4000-8000-000000000000', startTime: started });
        expect(await store.writerLockHolder('p1')).toBeNull();
        const afterReboot = await store.acquireWriterLock('p1');
        expect(afterReboot.holder.pid).toBe(process.pid);
        await afterReboot.release();

        // A row without identity (written by an earlier version) keeps the pid's judgement: alive.
        plant(path, pid, { bootId: null, startTime: null });
        expect(await store.writerLockHolder('p1')).toEqual({ pid, host: hostname(), since });
        await expect(store.acquireWriterLock('p1')).rejects.toBeInstanceOf(WriterLockedError);
      } finally {
        sleeper.kill('SIGKILL');
        await store.close();
      }
    });

    it('a store whose lock table an earlier version made gains the identity columns, and stays usable by that version', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lock-'));
      const path = join(dir, 'store.db');
      openSqliteEventStore(path).close();
      const old = new Database(path);
      old.exec('CREATE TABLE writer_locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL) WITHOUT ROWID');
      const sleeper = unrelated();
      try {
        const pid = sleeper.pid as number;
        old.prepare('INSERT INTO writer_locks (key, pid, host, since) VALUES (?, ?, ?, ?)').run('p1', pid, hostname(), since);
        // Read-only, the table is looked at as it is.
        const reader = openSqliteEventStore(path, { readOnly: true });
        expect(await reader.writerLockHolder('p1')).toEqual({ pid, host: hostname(), since });
        await reader.close();

        const store = openSqliteEventStore(path);
        try {
          await expect(store.acquireWriterLock('p1')).rejects.toBeInstanceOf(WriterLockedError);
          sleeper.kill('SIGKILL');
          await new Promise((resolve) => sleeper.once('exit', resolve));
          const lock = await store.acquireWriterLock('p1');
          const columns = old.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('writer_locks')").all().map((c) => c.name);
          expect(columns).toEqual(['key', 'pid', 'host', 'since', 'boot_id', 'start_time']);
          expect(old.prepare('SELECT pid, boot_id, start_time FROM writer_locks').get()).toEqual({ pid: process.pid, boot_id: bootId(), start_time: startTimeOf(process.pid) });
          await lock.release();
          // What the earlier version runs on the table: write, read and delete its three columns.
          old.prepare('INSERT OR REPLACE INTO writer_locks (key, pid, host, since) VALUES (?, ?, ?, ?)').run('p2', 4242, 'host-a', since);
          expect(old.prepare("SELECT pid, host, since FROM writer_locks WHERE key = 'p2'").get()).toEqual({ pid: 4242, host: 'host-a', since });
          expect(old.prepare("DELETE FROM writer_locks WHERE key = 'p2' AND pid = 4242 AND host = 'host-a' AND since = ?").run(since).changes).toBe(1);
        } finally {
          await store.close();
        }
      } finally {
        sleeper.kill('SIGKILL');
        old.close();
      }
    });
  },
);
