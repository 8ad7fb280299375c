// The CLI on a PostgreSQL store as a user meets it: a connection the server ends in the middle of a paper session's
// commit, a reading command on a schema that holds no store, a role that may only read.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PAPER_CONFIG } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { POSTGRES_URL, dropSchemas, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';
import { minuteBars } from './fixtures/live/minuteBars.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'stratafolio.js');
const schemas: string[] = [];
const roles: string[] = [];

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-cli-pg-'));

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await dropSchemas(schemas, roles);
});

const freshSchema = (): string => {
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
};

/** Bars that move up and down, so that strategies trade. */
const bars = (from: number, to: number): string => minuteBars(from, to, { move: (i) => ((i * 37) % 11) - 5 });

const headOf = (out: string): string => /head hash ([0-9a-f]{64})/.exec(out)?.[1] ?? `no head hash in: ${out}`;

async function paper(store: string, input: string): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, 'paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
  return { code, out, err };
}

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('the CLI on PostgreSQL (lost connection, missing schema, read-only role)');
} else {
  const base = POSTGRES_URL;
  describe('the CLI on PostgreSQL', () => {
    it('a paper session whose connection the server ends mid-commit stops with one line naming the store (exit 1), and the same command again ends with the log an uninterrupted session writes', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const child = spawn(process.execPath, [BIN, 'paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
      const until = async (done: () => boolean | Promise<boolean>, what: string): Promise<void> => {
        const giveUp = Date.now() + 20_000;
        while (!(await done())) {
          if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      child.stdin.write(bars(0, 3));
      await until(() => out.split('\n').length > 3, 'three slices');

      // Holding the log's counter keeps the next commit waiting inside its transaction; ending that connection then is
      // a server going away mid-commit, at a moment the test chooses.
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query('BEGIN');
        await admin.query(`SELECT position FROM "${schema}".log_head FOR UPDATE`);
        child.stdin.write(bars(3, 4));
        // pg_stat_activity is read once per transaction: cleared before each look, or it never changes.
        const waiting = async (): Promise<number[]> => {
          await admin.query('SELECT pg_stat_clear_snapshot()');
          const rows = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%"${schema}".log_head%`]);
          return rows.rows.map((r) => r.pid);
        };
        await until(async () => (await waiting()).length > 0, 'the commit to wait for the counter');
        for (const pid of await waiting()) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await admin.query('ROLLBACK');
      } finally {
        await admin.end();
      }
      child.stdin.end();
      expect(await exited).toBe(1);
      expect(err).not.toMatch(/Unhandled|node_modules|^\s+at /m);
      expect(err).toMatch(new RegExp(`^stratafolio: event store \\S*${schema}\\S* is unavailable \\(.*\\)`));
      expect(err.trim().split('\n')).toHaveLength(1);

      const again = await paper(store, bars(0, 6));
      expect(again.err).toBe('');
      expect(again.code).toBe(0);
      const reference = await paper(withSchema(base, freshSchema()), bars(0, 6));
      expect(reference.code).toBe(0);
      expect(headOf(again.out)).toBe(headOf(reference.out));
      const verified = await runBin(['audit', '--store', store, '--verify', '--expect-head', headOf(reference.out)]);
      expect(verified.code).toBe(0);
    });
    it('replay, audit, report, export-bars and command on a schema that holds no store are refused (exit 2) naming it, and create nothing', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const runs = [
        ['replay', '--store', store],
        ['audit', '--store', store, '--verify'],
        ['report', '--store', store, '--out', join(scratch, 'none.html')],
        ['export-bars', '--store', store],
        ['command', '--store', store, 'pause', 'hold'],
      ];
      for (const args of runs) {
        const r = await runBin(args);
        expect(r.err).toMatch(new RegExp(`^stratafolio: event store \\S*schema=${schema}\\S*: schema "${schema}" holds no stratafolio log`));
        expect(r.code).toBe(2);
      }
      expect(existsSync(join(scratch, 'none.html'))).toBe(false);
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        expect((await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
      } finally {
        await admin.end();
      }
    });

    it('a role that may only read replays, audits, reports and exports a paper session (replay saves no checkpoint); paper with it is refused naming the store (exit 2), and runs once the role may write rows (with no right to create tables)', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const session = await paper(store, bars(0, 8));
      expect(session.code).toBe(0);
      const role = `reader_${randomBytes(4).toString('hex')}`;
      roles.push(role);
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      const documents = async (): Promise<number> => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".documents`)).rows[0]?.n);
      try {
        await admin.query(`CREATE ROLE "${role}" LOGIN`);
        await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
        await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
        const asReader = new URL(store);
        asReader.username = role;
        const reader = asReader.toString();
        const before = await documents();

        const replayed = await runBin(['replay', '--store', reader]);
        expect(replayed.err).toBe('');
        expect(replayed.code).toBe(0);
        expect(replayed.out).toMatch(/^portfolio paper: /);
        expect(await documents()).toBe(before);
        const audited = await runBin(['audit', '--store', reader, '--verify', '--expect-head', headOf(session.out)]);
        expect(audited.err).toBe('');
        expect(audited.code).toBe(0);
        const report = join(scratch, 'reader.html');
        expect((await runBin(['report', '--store', reader, '--out', report])).code).toBe(0);
        expect(existsSync(report)).toBe(true);
        const exported = await runBin(['export-bars', '--store', reader, '--out', join(scratch, 'reader.ndjson')]);
        expect(exported.err).toBe('');
        expect(exported.code).toBe(0);

        const writing = await paper(reader, bars(8, 10));
        expect(writing.code).toBe(2);
        expect(writing.err).toMatch(new RegExp(`^stratafolio: event store \\S*${role}\\S* cannot be written by this role \\(permission denied for table \\w+\\); nothing was written\\n$`));

        // With the rows' privileges but none to create anything (as a DBA sets up an application role), it writes.
        await admin.query(`GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
        const granted = await paper(reader, bars(8, 10));
        expect(granted.err).toBe('');
        expect(granted.code).toBe(0);
      } finally {
        await admin.end();
      }
    });

    it('sslmode=require on a server without SSL is refused (exit 2) naming the store and what to change, not as a failed run', async () => {
      const store = `${withSchema(base, freshSchema())}&sslmode=require`;
      const r = await runBin(['replay', '--store', store]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^stratafolio: event store postgres:\S*sslmode=require: the server does not support SSL connections, and the URL asks for them \(sslmode=require\): remove sslmode, or use sslmode=disable, or enable SSL on the server$/m);
    });

    it("demo's closing hint names the store without its password, as every other line does", async () => {
      const withPassword = new URL(withSchema(base, freshSchema()));
      // A trusting server (the throwaway cluster) takes any password; a server that checks them has one in its URL.
      if (withPassword.password === '') withPassword.password = 'hunter2-s3cret';
      const password = decodeURIComponent(withPassword.password);
      const r = await runBin(['demo', '--slices', '30', '--store', withPassword.toString()]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^next: stratafolio replay --store postgres:\/\/[^:]+:\*\*\*@/m);
      expect(r.out).not.toContain(password);
      expect(r.out).not.toContain(withPassword.password);
    });

    it('a wrong database or role in the URL is refused (exit 2) naming the store and what is wrong, not as a server that is down', async () => {
      const noDatabase = new URL(base);
      noDatabase.pathname = '/no_such_database';
      const wrongDb = await runBin(['replay', '--store', noDatabase.toString()]);
      expect(wrongDb.code).toBe(2);
      expect(wrongDb.err).toMatch(/^stratafolio: event store \S*no_such_database\S* refused the connection \(database "no_such_database" does not exist\); check the user, password and database in the URL$/m);
      const noRole = new URL(base);
      noRole.username = 'no_such_role';
      noRole.password = 'secret';
      const wrongRole = await paper(noRole.toString(), bars(0, 2));
      expect(wrongRole.code).toBe(2);
      expect(wrongRole.err).toMatch(/^stratafolio: event store postgres:\/\/no_such_role:\*\*\*@\S* refused the connection \(role "no_such_role" does not exist\); check the user, password and database in the URL$/m);
      expect(wrongRole.err).not.toContain('secret');
    });
    it('a writer lock whose connection the server ends is taken again at once: a second paper is refused naming the first, or, if another process took the lock first, the first stops at its next slice naming the holder', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const start = (): { child: ReturnType<typeof spawn>; out: () => string; err: () => string; exited: Promise<number> } => {
        const child = spawn(process.execPath, [BIN, 'paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
        return { child, out: () => out, err: () => err, exited };
      };
      const until = async (done: () => boolean, what: string): Promise<void> => {
        const giveUp = Date.now() + 20_000;
        while (!done()) {
          if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      // The connection holding the lock is the one pg_locks shows holding the portfolio's advisory lock (its bigint
      // key listed as its high and low 32 bits).
      const lockName = `stratafolio writer ${schema} paper`;
      const lockRows = `FROM pg_locks l, (SELECT hashtext($1)::bigint AS v) k WHERE l.locktype = 'advisory' AND l.objsubid = 1
             AND l.classid::bigint = ((k.v >> 32) & 4294967295) AND l.objid::bigint = (k.v & 4294967295)`;
      // With `grabber`, a session already waiting for the advisory lock: the server grants it the lock as the ended
      // connection's locks are let go, before the writer can connect again to take it.
      const endLockConnection = async (grabber?: pg.Client): Promise<void> => {
        const held = await admin.query<{ pid: number }>(`SELECT l.pid ${lockRows} AND l.granted`, [lockName]);
        expect(held.rows).toHaveLength(1);
        const grabbed = grabber?.query('SELECT pg_advisory_lock(hashtext($1))', [lockName]);
        if (grabber !== undefined) {
          while ((await admin.query(`SELECT 1 ${lockRows} AND NOT l.granted`, [lockName])).rows.length === 0) await new Promise((r) => setTimeout(r, 10));
        }
        await admin.query('SELECT pg_terminate_backend($1, 5000)', [held.rows[0]?.pid]);
        await grabbed;
        // The session hears of it a moment later, when its socket closes, and tries to take the lock again.
        await new Promise((r) => setTimeout(r, 500));
      };
      try {
        const first = start();
        first.child.stdin?.write(bars(0, 2));
        await until(() => first.out().split('\n').length > 2, 'two slices');
        await endLockConnection();
        first.child.stdin?.write(bars(2, 3));
        await until(() => first.out().split('\n').length > 3, 'the third slice');
        const refused = await paper(store, bars(0, 3));
        expect(refused.code).toBe(2);
        expect(refused.err).toMatch(new RegExp(`is being written by process ${first.child.pid ?? 0} `));

        // Another process takes the lock before the first can: the first's try is refused and it stops trying, so the
        // lock, once that process lets it go, is the second paper's.
        const grabber = new pg.Client({ connectionString: base });
        await grabber.connect();
        await endLockConnection(grabber);
        await grabber.end();
        const second = start();
        const holderPid = async (): Promise<number | undefined> => (await admin.query<{ pid: number }>(`SELECT pid FROM "${schema}".writer_locks`)).rows[0]?.pid;
        for (let tries = 0; (await holderPid()) !== second.child.pid; tries += 1) {
          if (tries > 500) throw new Error(`the second session never took the lock: ${second.err()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        first.child.stdin?.write(bars(3, 4));
        expect(await first.exited).toBe(2);
        expect(first.err()).toMatch(new RegExp(`^stratafolio: portfolio "paper" in \\S+ is being written by process ${second.child.pid ?? 0} `));
        second.child.stdin?.end(bars(0, 5));
        expect(await second.exited).toBe(0);
        const reference = await paper(withSchema(base, freshSchema()), bars(0, 5));
        expect(headOf(second.out())).toBe(headOf(reference.out));
      } finally {
        await admin.end();
      }
    });
  });
}
