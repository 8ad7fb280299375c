// Paper trading on a PostgreSQL store, through the built CLI as a user runs it: a session killed with SIGKILL and
// started again with the same command ends with the rows an uninterrupted session writes, its lock row never blocks the
// restart, `replay --follow` in another process follows it across the restarts, and a command recorded with a slice
// whose session died before answering is applied once. The SQLite store has its own tests of these (paper.chaos,
// paper.commands, paper.follow, paper.parity); PostgreSQL's lock, notifications and transactions are another adapter.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../events/openEventStore.js';
import { PAPER_CONFIG, startCli, streamEvents, type CliProcess } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { POSTGRES_URL, dropSchemas, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';
import { minuteBars } from './fixtures/live/minuteBars.js';

const schemas: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-paper-pg-'));

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await dropSchemas(schemas);
});

const freshSchema = (): string => {
  const schema = `paper_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
};

/** A seeded generator (Park–Miller), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let s = seed % 2147483647;
  return () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
}

/** Bars that move up and down, so that strategies trade. */
const bars = (from: number, to: number): string => minuteBars(from, to, { move: (i) => ((i * 37) % 23) - 11 + Math.round(8 * Math.sin(i / 7)), spread: 2 });

const paperArgs = (store: string): string[] => ['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const headOf = (out: string): string => /head hash ([0-9a-f]{64})/.exec(out)?.[1] ?? `no head hash in: ${out}`;

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Every stored event row, all columns: what identical logs must share. */
const rowsOf = async (schema: string, stream?: string): Promise<string[]> =>
  (
    await query(
      `SELECT position, stream, revision, event_id, type, body, hash FROM "${schema}".events ${stream === undefined ? '' : 'WHERE stream = $1'} ORDER BY position`,
      stream === undefined ? [] : [stream],
    )
  ).map((r) => JSON.stringify(stream === undefined ? r : { ...r, position: undefined }));

const marksOf = async (schema: string): Promise<number> =>
  Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".events WHERE type = 'BarMarked'`))[0]?.n ?? 0);

async function until(done: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const giveUp = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('paper trading on PostgreSQL (kill -9 and resume, lock rows, follow, commands across a kill)');
} else {
  const base = POSTGRES_URL;
  describe('paper trading on PostgreSQL', () => {
    it('killed with SIGKILL at seeded moments while bars stream in small groups and restarted each time, it ends with the rows of an uninterrupted session; the lock row a killed process leaves blocks no restart, replay --follow follows every restart, and backtest over export-bars writes the same portfolio rows', async () => {
      const N = 240;
      const KILLS = 6;
      const reference = freshSchema();
      const chaos = freshSchema();
      const store = withSchema(base, chaos);
      const uninterrupted = startCli(paperArgs(withSchema(base, reference)), bars(0, N));
      const random = seeded(20240301);
      let follow: CliProcess | null = null;
      let recorded = 0;
      let lockRowsLeft = 0;
      for (let killed = 0; killed < KILLS; killed += 1) {
        const run = startCli(paperArgs(store), '', { keepStdinOpen: true });
        run.child.stdin?.on('error', () => undefined);
        // A restart feeds its input again from a little before what is recorded, as a user re-running a feed would.
        let next = Math.max(0, recorded - Math.floor(random() * 4));
        // Up to two new minutes at once; the rest in groups of 1–3 minutes once a slice is durable, so slices land a
        // few at a time.
        run.child.stdin?.write(bars(next, recorded + 2));
        next = recorded + 2;
        let killAt = Number.POSITIVE_INFINITY;
        let streaming = false;
        // Once during start-up; otherwise 0–150 ms after its first slice was durable: in its appends.
        if (killed === 2) killAt = Date.now() + 200 + Math.floor(random() * 600);
        else void run.linesOut(1).then(() => ((streaming = true), (killAt = Date.now() + Math.floor(random() * 150))), () => undefined);
        let ended = false;
        void run.exited.then(() => (ended = true));
        while (!ended && Date.now() < killAt) {
          if (streaming && next < N - 20) {
            const group = 1 + Math.floor(random() * 3);
            run.child.stdin?.write(bars(next, next + group));
            next += group;
          }
          await sleep(1 + Math.floor(random() * 10));
        }
        expect(ended, `the run ended before its kill: ${run.err()}`).toBe(false);
        run.child.kill('SIGKILL');
        expect(await run.exited).toBe('SIGKILL');
        recorded = await marksOf(chaos).catch(() => 0);
        if (recorded > 0) {
          // The row naming the dead holder may stay; what says who writes is the lock itself, gone with its connection.
          lockRowsLeft += (await query(`SELECT 1 FROM "${chaos}".writer_locks`)).length;
          const probe = await openEventStore(store, { existing: true });
          try {
            expect(await probe.writerLockHolder('paper')).toBeNull();
          } finally {
            await probe.close();
          }
          follow ??= startCli(['replay', '--store', store, '--follow', '--json']);
        }
      }
      const last = startCli(paperArgs(store), bars(Math.max(0, recorded - 2), N));
      expect(await last.exited, last.err()).toBe(0);
      expect(await uninterrupted.exited, uninterrupted.err()).toBe(0);
      const expected = await rowsOf(reference);
      expect(expected.filter((r) => r.includes('"type":"BarMarked"'))).toHaveLength(N);
      expect(await rowsOf(chaos)).toEqual(expected);
      expect(lockRowsLeft).toBeGreaterThan(0);

      // The follower saw every slice once, in order, with the value the log records, across every restart.
      expect(follow).not.toBeNull();
      const marks = new Map((await streamEvents(store, 'portfolio-paper')).flatMap((e) => (e.type === 'BarMarked' ? [[e.metadata.barTime, e.data.portfolioValue] as const] : [])));
      const lastMark = [...marks.keys()].at(-1);
      const followed = (): { time: string | null; portfolioValue: string }[] => (follow?.out() ?? '').trim().split('\n').map((l) => JSON.parse(l) as { time: string | null; portfolioValue: string });
      await until(() => followed().at(-1)?.time === lastMark, `replay --follow to reach ${String(lastMark)}:\n${follow?.err() ?? ''}`);
      follow?.child.kill('SIGTERM');
      expect(await follow?.exited).toBe(0);
      const live = followed().slice(1);
      expect(live.length).toBeGreaterThan(N / 4);
      for (let i = 1; i < live.length; i += 1) expect(Date.parse(live[i]?.time ?? '') - Date.parse(live[i - 1]?.time ?? '')).toBe(60_000);
      for (const l of live) expect(l.portfolioValue).toBe(marks.get(l.time ?? ''));

      const audited = await runBin(['audit', '--store', store, '--verify', '--expect-head', headOf(uninterrupted.out())]);
      expect(audited.err).toBe('');
      expect(audited.code).toBe(0);
      const file = join(scratch, 'bars.ndjson');
      const exported = await runBin(['export-bars', '--store', store, '--out', file]);
      expect(exported.err).toBe('');
      expect(exported.code).toBe(0);
      const rerun = freshSchema();
      const backtest = await runBin(['backtest', '--config', PAPER_CONFIG, '--bars', file, '--format', 'ndjson', '--store', withSchema(base, rerun)]);
      expect(backtest.code, backtest.err).toBe(0);
      expect(await rowsOf(rerun, 'portfolio-paper')).toEqual(await rowsOf(chaos, 'portfolio-paper'));
    }, 90_000);

    it('of two paper sessions starting at once on a portfolio whose killed writer left its lock row, one runs and the other is refused naming it, not the dead process', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const dead = startCli(paperArgs(store), bars(0, 3), { keepStdinOpen: true });
      await dead.linesOut(3);
      dead.child.kill('SIGKILL');
      expect(await dead.exited).toBe('SIGKILL');
      expect((await query<{ pid: number }>(`SELECT pid FROM "${schema}".writer_locks`)).map((r) => r.pid)).toEqual([dead.child.pid]);

      // Holding the lock table's writes stops the first starter between taking the portfolio and naming itself in the
      // row: the moment a second starter, a round trip later, looks for the holder.
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      let first: CliProcess;
      let second: CliProcess;
      try {
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE "${schema}".writer_locks IN EXCLUSIVE MODE`);
        const naming = async (): Promise<number> =>
          (await query(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%"${schema}".writer_locks%`])).length;
        first = startCli(paperArgs(store), '', { keepStdinOpen: true });
        await until(async () => (await naming()) >= 1, 'the first session to name itself');
        second = startCli(paperArgs(store), '', { keepStdinOpen: true });
        // The second either waits for the row as well, or has already looked and been refused.
        await until(async () => (await naming()) >= 2 || (await Promise.race([second.exited, sleep(0).then(() => null)])) !== null, 'the second session to look');
        await admin.query('ROLLBACK');
      } finally {
        await admin.end();
      }
      const outcomes = await Promise.race([first.exited.then(() => 'first ended' as const), second.exited.then(() => 'second ended' as const)]);
      const [refused, running] = outcomes === 'first ended' ? [first, second] : [second, first];
      expect(await refused.exited).toBe(2);
      expect(refused.err()).toMatch(new RegExp(`^stratafolio: portfolio "paper" in \\S+ is being written by process ${running.child.pid ?? 0} on `));
      running.child.stdin?.end(bars(0, 5));
      expect(await running.exited, running.err()).toBe(0);
    }, 60_000);

    it('a command recorded with a slice whose session died before answering is answered by the restart (applied at that slice) and applied once; one queued while no session runs is applied at the restart', async () => {
      const schema = freshSchema();
      const store = withSchema(base, schema);
      const first = startCli(paperArgs(store), bars(0, 5), { keepStdinOpen: true });
      await first.linesOut(5);
      const waiting = runBin(['command', '--store', store, '--json', '--wait', '20s', 'pause', 'revert', '--reason', 'risk review']);
      await until(async () => (await query(`SELECT 1 FROM "${schema}".documents WHERE collection = 'commands'`)).length > 0, 'the command to be queued');

      // Holding the documents table keeps the answer from being written once the slice is durable; the process is
      // killed there and its blocked statement ended as a crash would, so the record holds the command and no answer does.
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE "${schema}".documents IN EXCLUSIVE MODE`);
        first.child.stdin?.write(bars(5, 6));
        const answering = async (): Promise<number[]> =>
          (await query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%"${schema}".documents%`])).map((r) => r.pid);
        await until(async () => (await answering()).length > 0, 'the session to answer the command');
        first.child.kill('SIGKILL');
        expect(await first.exited).toBe('SIGKILL');
        for (const pid of await answering()) await admin.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
        await admin.query('ROLLBACK');
      } finally {
        await admin.end();
      }
      const answer = await waiting;
      expect(answer.code).toBe(3);
      expect(JSON.parse(answer.out)).toMatchObject({ result: { status: 'queued' }, sessionRunning: false });
      const queued = await runBin(['command', '--store', store, '--wait', '0s', 'pause', 'trend']);
      expect(queued.code).toBe(0);

      const again = startCli(paperArgs(store), bars(3, 9));
      expect(await again.exited, again.err()).toBe(0);
      const results = await query<{ key: string; value: string }>(`SELECT key, value FROM "${schema}".documents WHERE collection = 'command-results' ORDER BY key`);
      expect(results.map((r) => JSON.parse(r.value) as unknown)).toEqual([
        { status: 'applied', at: '2024-03-01T00:05:00.000Z', command: { kind: 'pause', strategyId: 'revert', reason: 'risk review' } },
        { status: 'applied', at: '2024-03-01T00:06:00.000Z', command: { kind: 'pause', strategyId: 'trend', reason: 'paused by command' } },
      ]);
      expect(await query(`SELECT key FROM "${schema}".documents WHERE collection = 'commands'`)).toEqual([]);
      const paused = (await streamEvents(store, 'portfolio-paper')).flatMap((e) =>
        e.type === 'StrategyLifecycleChanged' && e.data.to === 'paused' ? [[e.metadata.barTime, e.data.strategyId, e.data.reason]] : [],
      );
      expect(paused).toEqual([
        ['2024-03-01T00:05:00.000Z', 'revert', 'risk review'],
        ['2024-03-01T00:06:00.000Z', 'trend', 'paused by command'],
      ]);
      const recorded = (await streamEvents(store, 'feed-paper')).flatMap((e) => (e.type === 'SliceBarsRecorded' ? e.data.commands.map((c) => `${e.data.time} ${c.command.kind as string}`) : []));
      expect(recorded).toEqual(['2024-03-01T00:05:00.000Z pause', '2024-03-01T00:06:00.000Z pause']);
    }, 60_000);
  });
}
