// `stratafolio copy` and every command on a PostgreSQL URL: a copied portfolio replays, audits and resumes like the
// original; a broken source or a different target log is refused; one backtest gives the same events on either store.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { openEventStore } from '../events/openEventStore.js';
import { runBin, runCli, twoStrategyConfig } from './fixtures/cliRun.js';
import { POSTGRES_URL, postgresSkipNotice, withSchema } from './fixtures/postgresServer.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-copy-'));
const schemas: string[] = [];
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  if (POSTGRES_URL === undefined || schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

const config = twoStrategyConfig('cp', 'copy e2e', { snapshotEvery: 25 });
const configPath = join(scratch, 'config.json');
writeFileSync(configPath, JSON.stringify(config));
const slices = [...syntheticSlices({ seed: 11, symbols: 4, bars: 90, start: '2023-01-02' })];
const allBars = join(scratch, 'all.csv');
const firstBars = join(scratch, 'first.csv');
const otherBars = join(scratch, 'other.csv');
await writeLongCsv(allBars, slices);
await writeLongCsv(firstBars, slices.slice(0, 50));
await writeLongCsv(otherBars, [...syntheticSlices({ seed: 12, symbols: 4, bars: 60, start: '2023-01-02' })]);

let n = 0;
const sqliteUrl = (): string => `sqlite:${join(scratch, `s${(n += 1)}.db`)}`;
const postgresUrl = (base: string): string => {
  const schema = `e2e_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return withSchema(base, schema);
};

/** Each event of the store's portfolio stream as stored: type, data and metadata (hash included), without positions. */
async function eventData(url: string): Promise<unknown[]> {
  const store = await openEventStore(url);
  try {
    const out: unknown[] = [];
    for await (const e of store.readStream('portfolio-cp')) out.push({ type: e.type, data: e.data, metadata: e.metadata });
    return out;
  } finally {
    await store.close();
  }
}

async function backtest(url: string, bars: string): Promise<void> {
  const r = await runCli('backtest', '--config', configPath, '--bars', bars, '--store', url, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}

async function replayJson(url: string): Promise<unknown> {
  const r = await runCli('replay', '--store', url, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as unknown;
}

describe('stratafolio copy between SQLite stores', () => {
  it('copies a portfolio that then replays and audits like the original; a second copy adds nothing', async () => {
    const from = sqliteUrl();
    const to = sqliteUrl();
    await backtest(from, allBars);
    const r = await runCli('copy', '--from', from, '--to', to, '--json');
    expect(r.code).toBe(0);
    const copied = JSON.parse(r.out) as { streams: { stream: string; events: number; copied: number; alreadyThere: number }[] };
    const original = await eventData(from);
    expect(copied.streams).toEqual([expect.objectContaining({ stream: 'portfolio-cp', events: original.length, copied: original.length, alreadyThere: 0 })]);
    expect(await eventData(to)).toEqual(original);
    expect(await replayJson(to)).toEqual(await replayJson(from));
    expect((await runCli('audit', '--store', to, '--verify')).code).toBe(0);

    const again = JSON.parse((await runCli('copy', '--from', from, '--to', to, '--portfolio', 'cp', '--json')).out) as typeof copied;
    expect(again.streams[0]).toMatchObject({ copied: 0, alreadyThere: original.length });
    expect(await eventData(to)).toEqual(original);
  });

  it('a copy of a partial run resumes exactly like the original, and copying again brings the rest', async () => {
    const original = sqliteUrl();
    const copy = sqliteUrl();
    await backtest(original, firstBars);
    expect((await runCli('copy', '--from', original, '--to', copy)).code).toBe(0);
    await backtest(original, allBars);
    await backtest(copy, allBars);
    expect(await eventData(copy)).toEqual(await eventData(original));

    // A copy that continues: the target holds the start of the source's log.
    const behind = sqliteUrl();
    await backtest(behind, firstBars);
    const r = JSON.parse((await runCli('copy', '--from', original, '--to', behind, '--json')).out) as { streams: { copied: number; alreadyThere: number }[] };
    expect(r.streams[0]?.copied).toBeGreaterThan(0);
    expect(r.streams[0]?.alreadyThere).toBeGreaterThan(0);
    expect(await eventData(behind)).toEqual(await eventData(original));
  });

  it('refuses to overwrite a different log of the same portfolio, writing nothing', async () => {
    const from = sqliteUrl();
    const to = sqliteUrl();
    await backtest(from, allBars);
    await backtest(to, otherBars);
    const before = await eventData(to);
    const r = await runCli('copy', '--from', from, '--to', to);
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/already holds a different log for stream "portfolio-cp": revision \d+ differs/);
    expect(await eventData(to)).toEqual(before);
  });

  it('is refused, naming the holder, where another process writes the portfolio in the target; once it stops, the copy goes ahead', async () => {
    const from = sqliteUrl();
    const to = sqliteUrl();
    await backtest(from, allBars);
    const writer = await openEventStore(to);
    const lock = await writer.acquireWriterLock('cp');
    try {
      const r = await runCli('copy', '--from', from, '--to', to);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`is being written by process ${process.pid} on \\S+ since 20\\d\\d-`));
    } finally {
      await lock.release();
      await writer.close();
    }
    expect(await eventData(to)).toEqual([]);
    expect((await runCli('copy', '--from', from, '--to', to)).code).toBe(0);
    expect(await eventData(to)).toEqual(await eventData(from));
  });

  it('refuses a source whose chain is broken, naming the event, and leaves no target store behind', async () => {
    const from = sqliteUrl();
    const to = sqliteUrl();
    await backtest(from, allBars);
    // A second portfolio, copied after the first: its break must stop the copy before the first is written.
    const second = join(scratch, 'config-cq.json');
    writeFileSync(second, JSON.stringify(twoStrategyConfig('cq', 'copy e2e, second')));
    const r0 = await runCli('backtest', '--config', second, '--bars', allBars, '--store', from, '--json');
    expect(r0.code, r0.err).toBe(0);
    const db = new Database(from.slice('sqlite:'.length));
    // Alter an event late in the second portfolio's log.
    const row = db
      .prepare<[], { position: number; body: string }>("SELECT position, body FROM events WHERE stream = 'portfolio-cq' ORDER BY position DESC LIMIT 1 OFFSET 5")
      .get();
    db.prepare('UPDATE events SET body = ? WHERE position = ?').run(row?.body.replace('"type"', '"type" '), row?.position);
    db.close();
    const r = await runCli('copy', '--from', from, '--to', to);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`position ${row?.position}`);
    expect(existsSync(to.slice('sqlite:'.length))).toBe(false);
  });

  it('rejects bad usage with exit 2 and one line: the same store twice, a missing source file, an unknown portfolio', async () => {
    const from = sqliteUrl();
    await backtest(from, firstBars);
    for (const args of [
      ['--from', from, '--to', from],
      ['--from', `sqlite:${join(scratch, 'missing.db')}`, '--to', sqliteUrl()],
      ['--from', from, '--to', sqliteUrl(), '--portfolio', 'nope'],
      ['--from', from, '--to', 'redis://x'],
    ]) {
      const r = await runCli('copy', ...args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refusing one store as both --from and --to, it names the store without its password', async () => {
    const url = 'postgres://quant:s3cr%40t@127.0.0.1:9/funds?schema=desk';
    const r = await runCli('copy', '--from', url, '--to', url);
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --from and --to name the same store (postgres://quant:***@127.0.0.1:9/funds?schema=desk)\n');
  });

  it('refuses the same SQLite file written two ways (a relative path, a ./ in it, a link to it) as the same store', async () => {
    const from = sqliteUrl();
    await backtest(from, firstBars);
    const path = from.slice('sqlite:'.length);
    symlinkSync(path, join(scratch, 'link.db'));
    for (const to of [`sqlite:${join(scratch, '.', 'x', '..', basename(path))}`.replace(`${scratch}/`, `${scratch}/./`), `sqlite:${relative(process.cwd(), path)}`, `sqlite:${join(scratch, 'link.db')}`]) {
      const r = await runCli('copy', '--from', from, '--to', to);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`stratafolio: --from ${from} and --to ${to} are the same store (the file ${path}): copy into another one\n`);
    }
  });
});

if (POSTGRES_URL === undefined) {
  postgresSkipNotice('commands and copy on a PostgreSQL store');
} else {
  const base = POSTGRES_URL;
  describe('every command on a PostgreSQL store, and copy SQLite <-> PostgreSQL', () => {
    it('the same backtest into SQLite and PostgreSQL stores gives identical event data and identical replay --json; audit verifies both', async () => {
      const lite = sqliteUrl();
      const server = postgresUrl(base);
      await backtest(lite, allBars);
      await backtest(server, allBars);
      expect(await eventData(server)).toEqual(await eventData(lite));
      expect(await replayJson(server)).toEqual(await replayJson(lite));
      const audits = await Promise.all([lite, server].map((url) => runCli('audit', '--store', url, '--json')));
      expect(audits.map((a) => a.code)).toEqual([0, 0]);
      expect(JSON.parse(audits[1]?.out ?? '')).toEqual(JSON.parse(audits[0]?.out ?? ''));
      const verify = await runCli('audit', '--store', server, '--verify');
      expect(verify.code).toBe(0);
    });

    it('copies SQLite -> PostgreSQL -> SQLite with the real binary; each copy replays, audits and resumes like the original', async () => {
      const original = sqliteUrl();
      const server = postgresUrl(base);
      const back = sqliteUrl();
      await backtest(original, firstBars);
      const up = await runBin(['copy', '--from', original, '--to', server]);
      expect(up.err).toBe('');
      expect(up.code).toBe(0);
      expect(up.out).toMatch(/^portfolio-cp\s+\d+\s+\d+\s+0\s+[0-9a-f]{16}$/m);
      const down = await runBin(['copy', '--from', server, '--to', back]);
      expect(down.code).toBe(0);
      const partial = await eventData(original);
      expect(await eventData(server)).toEqual(partial);
      expect(await eventData(back)).toEqual(partial);
      expect(await replayJson(server)).toEqual(await replayJson(original));
      expect((await runBin(['audit', '--store', server, '--verify'])).code).toBe(0);

      // Resume all three with the rest of the bars: the same events everywhere.
      for (const url of [original, server, back]) await backtest(url, allBars);
      const full = await eventData(original);
      expect(full.length).toBeGreaterThan(partial.length);
      expect(await eventData(server)).toEqual(full);
      expect(await eventData(back)).toEqual(full);
      expect(await replayJson(back)).toEqual(await replayJson(server));

      // A different log on the server side is refused too.
      const other = postgresUrl(base);
      await backtest(other, otherBars);
      const refused = await runBin(['copy', '--from', original, '--to', other]);
      expect(refused.code).not.toBe(0);
      expect(refused.err).toMatch(/already holds a different log/);
    });
  });
}
