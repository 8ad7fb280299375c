import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { GENESIS_HASH, domainEvent, openEventStore, portfolioStream, sealEvents, type DomainEvent } from '../src/index.js';
import { appendBatches, fixtureBatches } from './projections.fixture.js';
import { captureIO } from './fixtures/cliRun.js';

const capture = captureIO;

async function cli(...args: string[]) {
  const c = capture();
  const code = await main(['node', 'stratafolio', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

interface Json {
  [key: string]: unknown;
}
const parse = (text: string): Json => JSON.parse(text) as Json;
const get = (j: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | null)?.[k], j);

let dir = '';
let db = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratafolio-replay-'));
  db = join(dir, 'run.db');
  const store = await openEventStore(`sqlite:${db}`, { durability: 'normal' });
  await appendBatches(store, fixtureBatches());
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stratafolio replay', () => {
  it('prints the summary, metrics and correlation as JSON with money as decimal strings', async () => {
    const r = await cli('replay', '--store', `sqlite:${db}`, '--json');
    expect(r.code).toBe(0);
    const j = parse(r.out);
    expect(j.portfolioId).toBe('p1');
    expect(get(j, 'summary', 'portfolioValue')).toBe('1053');
    expect(get(j, 'summary', 'cash')).toBe('1148');
    expect(get(j, 'summary', 'returnOnCapital')).toBeCloseTo(0.053, 12);
    expect(get(j, 'strategies', 0, 'strategyId')).toBe('a');
    expect(get(j, 'strategies', 0, 'totalReturn')).toBeCloseTo(0.08, 12);
    expect(get(j, 'strategies', 1, 'totalReturn')).toBeCloseTo((310 / 300) * (305 / 310) - 1, 12); // the 40 b received after execution earned nothing
    expect(get(j, 'strategies', 0, 'trades', 'profitFactor')).toBeNull(); // Infinity has no JSON form
    expect(get(j, 'strategies', 0, 'value')).toBe('600');
    expect(get(j, 'attribution', 'portfolioPnl')).toBe('53');
    expect(get(j, 'correlation', 'ids')).toEqual(['a', 'b']);
    expect(r.err).toBe(''); // no progress bar in a pipe
  });

  it('refuses an as-of position before the portfolio\'s first event, naming where its log starts, in replay and report', async () => {
    for (const command of [['replay'], ['report', '--out', join(dir, 'before.html')]]) {
      const r = await cli(...command, '--store', `sqlite:${db}`, '--as-of', '0');
      expect(r.code, command[0]).toBe(2);
      expect(r.err.trim()).toBe('stratafolio: --as-of 0: portfolio p1 has no event at or before that position (its log starts at position 1)');
    }
    expect(existsSync(join(dir, 'before.html'))).toBe(false);
  });

  it('replays as of an earlier bar time or position', async () => {
    const byTime = parse((await cli('replay', '--store', `sqlite:${db}`, '--as-of', '2024-01-02', '--json')).out);
    expect(get(byTime, 'summary', 'portfolioValue')).toBe('1058');
    const byPosition = parse((await cli('replay', '--store', `sqlite:${db}`, '--as-of', '10', '--json')).out);
    expect(get(byPosition, 'summary', 'portfolioValue')).toBe('1009');
    expect(get(byPosition, 'incompleteSlice')).toBeNull();
  });

  it('as of a position inside a slice, says so and shows the end of the slice before it', async () => {
    // Position 14 is r1's first transfer, inside the slice of 2024-01-03: the figures are 2024-01-02's.
    const j = parse((await cli('replay', '--store', `sqlite:${db}`, '--as-of', '14', '--json')).out);
    expect([get(j, 'position'), get(j, 'incompleteSlice'), get(j, 'summary', 'asOf')]).toEqual([12, '2024-01-03T00:00:00.000Z', '2024-01-02T00:00:00.000Z']);
    expect([get(j, 'summary', 'portfolioValue'), get(j, 'summary', 'reserve'), get(j, 'strategies', 0, 'value'), get(j, 'positions', 'strategies', 0, 'value')]).toEqual(['1058', '100', '648', '648']);
    const text = (await cli('replay', '--store', `sqlite:${db}`, '--as-of', '14')).out;
    expect(text).toContain('as of 2024-01-02T00:00:00.000Z: 12 events, position 12');
    expect(text.replace(/\s+/g, ' ')).toContain('(--as-of 14 falls inside the slice of 2024-01-03T00:00:00.000Z, which is left out: every figure is at the end of the last complete slice)');
  });

  it('prints aligned tables within 80 columns', async () => {
    const r = await cli('replay', '--store', `sqlite:${db}`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/value 1053\.00 USD/);
    expect(r.out).toMatch(/^a\s+running\s+600\.00\s+48\.00\s+8\.00%/m);
    for (const line of r.out.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('rejects a missing store, an unknown portfolio, a bad --as-of and an ambiguous store with one line and exit 2', async () => {
    for (const args of [
      ['--store', `sqlite:${join(dir, 'nope.db')}`],
      ['--store', `sqlite:${db}`, '--portfolio', 'zz'],
      ['--store', `sqlite:${db}`, '--as-of', 'soon'],
    ]) {
      const r = await cli('replay', ...args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    const two = join(dir, 'two.db');
    copyFileSync(db, two);
    const store = await openEventStore(`sqlite:${two}`);
    const sealed = sealEvents({ portfolioId: 'p2', nextRevision: 0, prevHash: GENESIS_HASH }, [
      {
        barTime: null,
        event: domainEvent('PortfolioOpened', {
          portfolioId: 'p2',
          name: 'x',
          baseCurrency: 'USD',
          totalCapital: '5',
          configHash: '',
          codeVersion: '',
          config: {},
        }),
      },
    ]);
    await store.append(portfolioStream('p2'), sealed.events, { expectedRevision: 'no_stream' });
    await store.close();
    const r = await cli('replay', '--store', `sqlite:${two}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds 2 portfolios \(p1, p2\): pass --portfolio <id>/);
    const p2 = parse((await cli('replay', '--store', `sqlite:${two}`, '--portfolio', 'p2', '--json')).out);
    expect(get(p2, 'summary', 'portfolioValue')).toBe('5');
  });
});

describe('stratafolio audit', () => {
  it('lists rebalances with weights and capital moved, and shows one in full', async () => {
    const list = await cli('audit', '--store', `sqlite:${db}`);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^r1\s+2024-01-03\s+schedule\s+equal-weight\s+88\.00\s+1$/m);
    expect(list.out).toMatch(/^binding constraints\nr1\s+max:b$/m);
    expect(list.out).toMatch(/^r1\s+a\s+61\.25%\s+50\.00%\s+56\.71%\s+600\.00$/m);
    const one = parse((await cli('audit', '--store', `sqlite:${db}`, '--rebalance', 'r1', '--json')).out);
    expect(get(one, 'rebalance', 'transfers', 'length')).toBe(2);
    expect(get(one, 'rebalance', 'capitalMoved')).toBe('88');
    const missing = await cli('audit', '--store', `sqlite:${db}`, '--rebalance', 'r9');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such rebalance.*r1/);
  });

  it('an unknown --rebalance in a log of many names the first and last few and the count, not every id', async () => {
    const many = join(dir, 'many.db');
    const store = await openEventStore(`sqlite:${many}`, { durability: 'normal' });
    const batches = fixtureBatches();
    const head = await appendBatches(store, batches);
    const [decided, , , marked] = batches[3] ?? [];
    const later = Array.from({ length: 20 }, (_, i) => {
      const barTime = new Date(Date.UTC(2024, 0, 4 + i)).toISOString();
      const data = { ...(decided?.event.data as object), rebalanceId: `r${i + 2}` };
      return [
        { barTime, event: { ...(decided?.event as DomainEvent), data } as DomainEvent },
        { barTime, event: marked?.event as DomainEvent },
      ];
    });
    await appendBatches(store, later, head);
    await store.close();
    const r = await cli('audit', '--store', `sqlite:${many}`, '--rebalance', 'r999');
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --rebalance r999: no such rebalance in portfolio p1 (it has 21: r1, r2, r3, …, r19, r20, r21)\n');
  });

  it('--verify exits 0 on an intact log', async () => {
    const r = await cli('audit', '--store', `sqlite:${db}`, '--verify');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/verified portfolio-p1: 16 events\n  hash chain intact/);
  });

  it('--verify catches one edited byte in the SQLite file and names the event', async () => {
    const copy = join(dir, 'tampered.db');
    copyFileSync(db, copy);
    const sql = new Database(copy);
    const changed = sql
      .prepare("UPDATE events SET body = replace(body, '\"price\":\"50\"', '\"price\":\"59\"') WHERE stream = ? AND revision = 7")
      .run('portfolio-p1').changes;
    sql.close();
    expect(changed).toBe(1);
    const r = await cli('audit', '--store', `sqlite:${copy}`, '--verify', '--json');
    expect(r.code).toBe(1);
    expect(get(parse(r.out), 'verification')).toMatchObject({ ok: false, stream: 'portfolio-p1', revision: 7, position: 8, check: 'decode' });
    const human = await cli('audit', '--store', `sqlite:${copy}`, '--verify');
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/BROKEN portfolio-p1 at revision 7, position 8/);
  });

  it('--verify that fails says what broke on stderr in one line, so a script keeping only stdout still sees why', async () => {
    const copy = join(dir, 'tampered-stderr.db');
    copyFileSync(db, copy);
    const sql = new Database(copy);
    sql.prepare("UPDATE events SET body = replace(body, '\"price\":\"50\"', '\"price\":\"59\"') WHERE stream = ? AND revision = 7").run('portfolio-p1');
    sql.close();
    const line = 'stratafolio: the log of p1 is broken at revision 7, position 8 (decode check): hash mismatch: the stored event was altered\n';
    for (const json of [[], ['--json']]) {
      const r = await cli('audit', '--store', `sqlite:${copy}`, '--verify', ...json);
      expect(r.code, json.join(' ')).toBe(1);
      expect(r.err, json.join(' ')).toBe(line);
    }
    // Broken at its first event (the opening, which holds the config): still one line, and the verdict on stdout.
    const opening = join(dir, 'tampered-opening.db');
    copyFileSync(db, opening);
    const first = new Database(opening);
    first.prepare("UPDATE events SET body = replace(body, '\"name\":', '\"name\" :') WHERE stream = ? AND revision = 0").run('portfolio-p1');
    first.close();
    for (const json of [[], ['--json']]) {
      const r = await cli('audit', '--store', `sqlite:${opening}`, '--verify', ...json);
      expect(r.code, json.join(' ')).toBe(1);
      expect(r.err.trim().split('\n'), json.join(' ')).toHaveLength(1);
      expect(r.err).toMatch(/^stratafolio: the log of p1 is broken at revision 0, position 1/);
      if (json.length > 0) expect(JSON.parse(r.out)).toMatchObject({ barsPerYear: null, verification: { ok: false, revision: 0 } });
      else expect(r.out).toMatch(/BROKEN portfolio-p1 at revision 0, position 1/);
    }
    const cut = await cli('audit', '--store', `sqlite:${db}`, '--verify', '--expect-head', '0'.repeat(64), '--json');
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(/^stratafolio: the log of p1 is broken at revision 15, position 16 \(head check\): the log ends at head hash [0-9a-f]{64}, not the expected 0{64}[^\n]*\n$/);
    const withCheckpoints = join(dir, 'checkpoint-stderr.db');
    copyFileSync(db, withCheckpoints);
    expect((await cli('replay', '--store', `sqlite:${withCheckpoints}`, '--json')).code).toBe(0);
    const docs = new Database(withCheckpoints);
    const altered = docs
      .prepare("UPDATE documents SET value = replace(value, '\"revision\":15', '\"revision\":14') WHERE collection = 'projection-checkpoints' AND key = 'attribution@portfolio-p1'")
      .run().changes;
    docs.close();
    expect(altered).toBe(1);
    const doc = await cli('audit', '--store', `sqlite:${withCheckpoints}`, '--verify', '--json');
    expect(doc.code).toBe(1);
    expect(doc.err).toMatch(/^stratafolio: the stored document projection-checkpoints\/attribution@portfolio-p1 of p1 is broken: [^\n]+\n$/);
  });
});
