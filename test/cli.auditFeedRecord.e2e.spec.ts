// `audit --verify` on a paper session's store checks the feed record beside the portfolio log (its own hash chain, and
// its slices against the log's), says so in text and JSON, and names where a tampered record breaks. Through the built
// binary, on a session fed NDJSON bars on stdin.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { minuteBars } from './fixtures/live/minuteBars.js';


let dir = '';
let db = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'audit-feed-'));
  db = join(dir, 'paper.db');
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', `sqlite:${db}`, '--jit-warm-up', '0'], minuteBars(0, 3));
  expect(await run.exited).toBe(0);
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A copy of the session's store with the feed record's row at `revision` edited by `edit` (SQL on `body`). */
function tampered(name: string, revision: number, edit: string): { path: string; position: number } {
  const path = join(dir, name);
  copyFileSync(db, path);
  const sql = new Database(path);
  try {
    const changed = sql.prepare(`UPDATE events SET body = ${edit} WHERE stream = 'feed-paper' AND revision = ?`).run(revision).changes;
    expect(changed).toBe(1);
    const row = sql.prepare("SELECT position FROM events WHERE stream = 'feed-paper' AND revision = ?").get(revision) as { position: number };
    return { path, position: row.position };
  } finally {
    sql.close();
  }
}

it('a paper session’s store passes, the feed record verified beside the log, in text and JSON', async () => {
  const human = await runBin(['audit', '--store', `sqlite:${db}`, '--verify']);
  expect(human.err).toBe('');
  expect(human.code).toBe(0);
  expect(human.out).toMatch(/verified portfolio-paper: \d+ events/);
  expect(human.out).toMatch(/verified feed-paper: 3 events \(3 recorded slices, 0 gaps\)/);
  expect(human.out).toMatch(/each of the 3 recorded slices is a slice of portfolio-paper/);

  const json = await runBin(['audit', '--store', `sqlite:${db}`, '--verify', '--json']);
  expect(json.code).toBe(0);
  const feedRecord = (JSON.parse(json.out) as { feedRecord: unknown }).feedRecord;
  expect(feedRecord).toMatchObject({ ok: true, stream: 'feed-paper', events: 3, slices: 3, gaps: 0, link: { slices: 3, before: 0, notApplied: 0 } });
  expect(feedRecord).toHaveProperty('headHash', expect.stringMatching(/^[0-9a-f]{64}$/) as unknown);
});

it('the report says what its verification proved of the feed record, and nothing of it when not verified', async () => {
  const out = join(dir, 'paper.html');
  const report = await runBin(['report', '--store', `sqlite:${db}`, '--out', out]);
  expect(report.code, report.err).toBe(0);
  expect(readFileSync(out, 'utf8')).toMatch(/<dt>Feed record<\/dt><dd><span class="ok">intact<\/span>: 3 events chained \(3 slices, 0 gaps\); 3 slices are the log's, their closes its marks<\/dd>/);
  const unverified = join(dir, 'paper-unverified.html');
  expect((await runBin(['report', '--store', `sqlite:${db}`, '--out', unverified, '--no-verify'])).code).toBe(0);
  expect(readFileSync(unverified, 'utf8')).not.toContain('<dt>Feed record</dt>');
});

it('a feed record edited in the SQLite file fails (exit 1), naming the stream, revision and position', async () => {
  const { path, position } = tampered('edited.db', 1, `replace(body, '"close":"60001"', '"close":"60009"')`);
  const human = await runBin(['audit', '--store', `sqlite:${path}`, '--verify']);
  expect(human.code).toBe(1);
  expect(human.out).toMatch(/verified portfolio-paper/);
  expect(human.out).toContain(`BROKEN feed-paper at revision 1, position ${position} (decode check)`);

  const json = await runBin(['audit', '--store', `sqlite:${path}`, '--verify', '--json']);
  expect(json.code).toBe(1);
  expect((JSON.parse(json.out) as { feedRecord: unknown }).feedRecord).toMatchObject({ ok: false, stream: 'feed-paper', revision: 1, position, check: 'decode' });
});

it('replay --verify, report and serve verify the feed record too: an edited record is refused (nothing printed, no report written), naming the stream, revision and position', async () => {
  const { path, position } = tampered('edited-for-replay.db', 1, `replace(body, '"close":"60001"', '"close":"60009"')`);
  const where = `feed record feed-paper of paper is broken at revision 1, position ${position} (decode check)`;
  const replay = await runBin(['replay', '--store', `sqlite:${path}`, '--verify']);
  expect(replay.code).toBe(1);
  expect(replay.out).toBe('');
  expect(replay.err).toContain(where);

  const out = join(dir, 'edited-report.html');
  const report = await runBin(['report', '--store', `sqlite:${path}`, '--out', out]);
  expect(report.code).toBe(1);
  expect(report.err).toContain(where);
  expect(existsSync(out)).toBe(false);

  const serve = await runBin(['serve', '--store', `sqlite:${path}`, '--port', '0']);
  expect(serve.code).toBe(1);
  expect(serve.err).toContain(where);

  // Without --verify replay does not look at the record; an intact store passes replay --verify.
  expect((await runBin(['replay', '--store', `sqlite:${path}`])).code).toBe(0);
  expect((await runBin(['replay', '--store', `sqlite:${db}`, '--verify'])).code).toBe(0);
});
