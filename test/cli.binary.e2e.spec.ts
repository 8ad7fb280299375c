// The shipped binary, spawned as a user runs it: every command once with good input and once with bad, the exit codes, and what the integrity checks print.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { openEventStore } from '../events/openEventStore.js';
import { CHECKPOINT_COLLECTION } from '../projections/runner.js';
import { appendBatches, fixtureBatches } from './projections.fixture.js';
import { runBinary } from './fixtures/binaryRun.js';
import { twoStrategyConfig } from './fixtures/cliRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-binary-'));
const candidates = join(import.meta.dirname, 'fixtures', 'optimiser', 'candidates.csv');
const config = twoStrategyConfig('bin', 'binary e2e');
const configPath = join(scratch, 'config.json');
const barsPath = join(scratch, 'bars.csv');
const demoDb = join(scratch, 'demo.db');
let demoHead = '';

/** A copy of the demo store under a new name, for a test that changes it. */
function demoCopy(name: string): string {
  const path = join(scratch, name);
  copyFileSync(demoDb, path);
  return path;
}

beforeAll(async () => {
  writeFileSync(configPath, JSON.stringify(config));
  await writeLongCsv(barsPath, syntheticSlices({ seed: 3, symbols: 4, bars: 60, start: '2023-01-02' }));
  const demo = await runBinary(['demo', '--slices', '60', '--store', `sqlite:${demoDb}`, '--json']);
  expect(demo.code).toBe(0);
  demoHead = (JSON.parse(demo.out) as { headHash: string }).headHash;
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('every command through bin/stratafolio.js', () => {
  it('help: exit 0 listing every command; an unknown command or flag: exit 2', async () => {
    const help = await runBinary(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['demo', 'backtest', 'replay', 'audit', 'report', 'serve', 'copy', 'allocate', 'paper', 'command', 'export-bars']) {
      expect(help.out).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    const unknown = await runBinary(['rebuild']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'rebuild'/);
    const flag = await runBinary(['replay', '--store', `sqlite:${demoDb}`, '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/unknown option '--colour'/);
  });

  it('demo: exit 0 printing the head hash to keep; a bad --slices: exit 2 naming the flag', async () => {
    const ok = await runBinary(['demo', '--slices', '30', '--store', `sqlite:${join(scratch, 'demo2.db')}`]);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/^head hash [0-9a-f]{64}$/m);
    expect(ok.out).toMatch(/audit --store .* --verify --expect-head [0-9a-f]{64}/);
    const bad = await runBinary(['demo', '--slices', '0', '--store', `sqlite:${join(scratch, 'demo3.db')}`]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('stratafolio: --slices must be a positive integer, got "0"\n');
  });

  it('backtest: exit 0 with the head hash in JSON; a bad bar file: exit 2 naming file and line, nothing written', async () => {
    const db = join(scratch, 'bt.db');
    const ok = await runBinary(['backtest', '--config', configPath, '--bars', barsPath, '--store', `sqlite:${db}`, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    expect(JSON.parse(ok.out)).toMatchObject({ portfolioId: 'bin', slices: 60, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const badBars = join(scratch, 'bad.csv');
    writeFileSync(badBars, 'timestamp,symbol,open,high,low,close,volume\n2023-01-02,AAA,10,11,9,10.5,100\n2023-01-03,AAA,10,11,9,-1,100\n');
    const badDb = join(scratch, 'bad.db');
    const bad = await runBinary(['backtest', '--config', configPath, '--bars', badBars, '--store', `sqlite:${badDb}`]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^stratafolio: .*bad\.csv, line 3, column close: /);
    expect(existsSync(badDb)).toBe(false);
    const badConfig = join(scratch, 'bad-config.json');
    writeFileSync(badConfig, JSON.stringify({ ...config, capital: 'lots' }));
    const conf = await runBinary(['backtest', '--config', badConfig, '--bars', barsPath, '--store', `sqlite:${badDb}`]);
    expect(conf.code).toBe(2);
    expect(conf.err).toMatch(/capital/);
  });

  it('replay: exit 0 with numbers; a bad --as-of: exit 2; a log with one fill row deleted: exit 1 naming the gap, no numbers', async () => {
    const ok = await runBinary(['replay', '--store', `sqlite:${demoDb}`]);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/^value \d+\.\d{2} USD/m);
    const bad = await runBinary(['replay', '--store', `sqlite:${demoDb}`, '--as-of', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--as-of "yesterday" is neither/);
    const cut = demoCopy('gap.db');
    const db = new Database(cut);
    const fill = db.prepare<[], { position: number; revision: number }>("SELECT position, revision FROM events WHERE type = 'FillRecorded' ORDER BY position LIMIT 1 OFFSET 5").get();
    db.prepare('DELETE FROM events WHERE position = ?').run(fill?.position);
    db.prepare('DELETE FROM documents').run();
    db.close();
    for (const verify of [[], ['--verify']]) {
      const broken = await runBinary(['replay', '--store', `sqlite:${cut}`, ...verify]);
      expect(broken.code).toBe(1);
      expect(broken.out).toBe('');
      expect(broken.err).toMatch(new RegExp(`revision ${(fill?.revision ?? 0) + 1} where ${fill?.revision ?? 0} was expected`));
    }
  });

  it('audit: --verify exit 0 saying what it proved; --expect-head that is not hex: exit 2; a log cut at its end: exit 0 without, exit 1 with --expect-head', async () => {
    const ok = await runBinary(['audit', '--store', `sqlite:${demoDb}`, '--verify', '--expect-head', demoHead]);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/hash chain intact/);
    expect(ok.out).toMatch(/the head is the expected one/);
    expect(ok.out).toMatch(/rebalances: every target is its final weight × the portfolio value, and\s+every transfer exactly what the plan allows/);
    expect(ok.out).not.toMatch(/net to zero/);
    const bad = await runBinary(['audit', '--store', `sqlite:${demoDb}`, '--verify', '--expect-head', 'xyz']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--expect-head must be a 64-digit/);
    const cut = demoCopy('cut.db');
    const db = new Database(cut);
    db.prepare('DELETE FROM events WHERE position > (SELECT MAX(position) - 3 FROM events)').run();
    // Checkpoints and the snapshot, built at the old head, still tell.
    const told = await runBinary(['audit', '--store', `sqlite:${cut}`, '--verify']);
    expect(told.code).toBe(1);
    expect(told.out).toMatch(/which the log does\s+not\s+have\s+\(the\s+log\s+was\s+cut\s+or\s+replaced\)/);
    // Without them, the cut log is a valid shorter log.
    db.prepare('DELETE FROM documents').run();
    db.close();
    const without = await runBinary(['audit', '--store', `sqlite:${cut}`, '--verify']);
    expect(without.code).toBe(0);
    expect(without.out).toMatch(/no --expect-head given: a log cut at its end, or rewritten and re-hashed,\s+cannot be detected from inside it/);
    const withHead = await runBinary(['audit', '--store', `sqlite:${cut}`, '--verify', '--expect-head', demoHead]);
    expect(withHead.code).toBe(1);
    expect(withHead.out).toMatch(/BROKEN portfolio-demo .*\(head check\)/);
  });

  it('allocate: exit 0 with an allocation; a negative --capital: exit 2 naming the flag', async () => {
    const ok = await runBinary(['allocate', '--candidates', candidates, '--capital', '10000', '--max-positions', '4', '--max-weight', '0.3', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.err).toBe('');
    expect(JSON.parse(ok.out)).toMatchObject({ capital: '10000' });
    const bad = await runBinary(['allocate', '--candidates', candidates, '--capital', '-5']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--capital must be positive/);
  });
});

describe('the paper commands through bin/stratafolio.js', () => {
  it('export-bars and command: exit 2 on a store with no paper session, on a missing store (none created), and for an unknown action', async () => {
    const none = await runBinary(['export-bars', '--store', `sqlite:${demoDb}`]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/holds no paper session: portfolio "demo" was written by backtest or demo/);
    // Named, the backtest's portfolio is told apart from one the store does not hold.
    const named = await runBinary(['export-bars', '--store', `sqlite:${demoDb}`, '--portfolio', 'demo']);
    expect(named.code).toBe(2);
    expect(named.err).toMatch(/portfolio "demo" in .* has no paper session: it has no feed record \(feed-demo\), so it was written by backtest or demo, which record no bars/);
    const unknown = await runBinary(['export-bars', '--store', `sqlite:${demoDb}`, '--portfolio', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/holds no portfolio "nope" \(it holds: demo\)/);
    const store = `sqlite:${demoCopy('commands.db')}`;
    const backtestOnly = await runBinary(['command', '--store', store, '--wait', '0s', 'pause', 'momentum']);
    expect(backtestOnly.code).toBe(2);
    expect(backtestOnly.err).toMatch(/holds no paper session: portfolio "demo" was written by backtest or demo, which record no bars and take no commands/);
    const missing = join(scratch, 'typo.db');
    const typo = await runBinary(['command', '--store', `sqlite:${missing}`, '--wait', '0s', 'pause', 'momentum']);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/no such file/);
    expect(existsSync(missing)).toBe(false);
    const bad = await runBinary(['command', '--store', store, 'frobnicate', 'momentum']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown action "frobnicate"/);
  });
});

describe('derived data through the binary', () => {
  it('a checkpoint with one digit changed is reported on stderr and rebuilt: replay prints the log’s numbers, exit 0', async () => {
    const path = demoCopy('checkpoint.db');
    const clean = await runBinary(['replay', '--store', `sqlite:${path}`, '--json']);
    expect(clean.code).toBe(0);
    const db = new Database(path);
    const key = 'portfolio@portfolio-demo';
    const row = db.prepare<[string, string], { value: string }>('SELECT value FROM documents WHERE collection = ? AND key = ?').get(CHECKPOINT_COLLECTION, key);
    const doc = JSON.parse(row?.value ?? '{}') as { body: string };
    const value = (JSON.parse(clean.out) as { summary: { portfolioValue: string } }).summary.portfolioValue;
    doc.body = doc.body.replace(`"portfolioValue":{"$dec":"${value}"}`, `"portfolioValue":{"$dec":"9${value.slice(1)}"}`);
    expect(doc.body).toContain(`9${value.slice(1)}`);
    db.prepare('UPDATE documents SET value = ? WHERE collection = ? AND key = ?').run(JSON.stringify(doc), CHECKPOINT_COLLECTION, key);
    db.close();
    const audit = await runBinary(['audit', '--store', `sqlite:${path}`, '--verify']);
    expect(audit.code).toBe(1);
    expect(audit.out).toMatch(/BROKEN projection-checkpoints\/portfolio@portfolio-demo: content hash\s+mismatch/);
    const again = await runBinary(['replay', '--store', `sqlite:${path}`, '--json']);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/the portfolio checkpoint does not match the log or itself \(content hash mismatch: the document was altered\); ignored and rebuilt/);
    expect(again.out).toBe(clean.out);
  });

  it('a checkpoint whose Decimal reads "abc" never stops replay with a DecimalError', async () => {
    const path = demoCopy('abc.db');
    expect((await runBinary(['replay', '--store', `sqlite:${path}`])).code).toBe(0);
    const db = new Database(path);
    const key = 'performance@portfolio-demo';
    const row = db.prepare<[string, string], { value: string }>('SELECT value FROM documents WHERE collection = ? AND key = ?').get(CHECKPOINT_COLLECTION, key);
    db.prepare('UPDATE documents SET value = ? WHERE collection = ? AND key = ?').run((row?.value ?? '').replace(/\\"\$dec\\":\\"[0-9.]+\\"/, '\\"$dec\\":\\"abc\\"'), CHECKPOINT_COLLECTION, key);
    db.close();
    const r = await runBinary(['replay', '--store', `sqlite:${path}`]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/the performance checkpoint does not match/);
    expect(r.err).not.toMatch(/DecimalError/);
  });
});

/** How this test can make a store read-only: file modes for a normal user; as root (which ignores modes) a read-only bind mount in a private namespace. */
const readOnlyMethod: 'modes' | 'mount' | null = (() => {
  if (process.getuid?.() !== 0) return 'modes';
  try {
    execFileSync('unshare', ['-rm', 'true'], { stdio: 'ignore' });
    return 'mount';
  } catch {
    return null;
  }
})();

describe('store safety through the binary', () => {
  it('another application’s SQLite file is refused with exit 2 by every command and left byte for byte as it was', async () => {
    const other = join(scratch, 'other.db');
    const db = new Database(other);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep'); PRAGMA user_version = 3;");
    db.close();
    const before = readFileSync(other);
    for (const args of [
      ['demo', '--slices', '5', '--store', `sqlite:${other}`],
      ['backtest', '--config', configPath, '--bars', barsPath, '--store', `sqlite:${other}`],
      ['replay', '--store', `sqlite:${other}`],
      ['audit', '--store', `sqlite:${other}`, '--verify'],
    ]) {
      const r = await runBinary(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/is not a stratafolio event store .*left unchanged/);
    }
    expect(readFileSync(other).equals(before)).toBe(true);
    expect(existsSync(`${other}-wal`) || existsSync(`${other}-journal`)).toBe(false);
  });

  it('a missing or empty file is refused by the commands that read a store, and not made into one', async () => {
    const empty = join(scratch, 'empty.db');
    writeFileSync(empty, '');
    const missing = join(scratch, 'missing.db');
    for (const store of [empty, missing]) {
      for (const args of [
        ['replay', '--store', `sqlite:${store}`],
        ['audit', '--store', `sqlite:${store}`, '--verify'],
        ['report', '--store', `sqlite:${store}`, '--out', join(scratch, 'empty.html')],
        ['export-bars', '--store', `sqlite:${store}`],
        ['copy', '--from', `sqlite:${store}`, '--to', `sqlite:${join(scratch, 'copied.db')}`],
      ]) {
        const r = await runBinary(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.err).toMatch(store === empty ? /is not a stratafolio event store \(it holds no stratafolio schema\); it was left unchanged/ : /no such file/);
      }
    }
    expect(readFileSync(empty).length).toBe(0);
    for (const path of [missing, `${empty}-wal`, join(scratch, 'copied.db'), join(scratch, 'empty.html')]) expect(existsSync(path), path).toBe(false);
  });

  it.skipIf(readOnlyMethod === null)(`replay and audit work on a store on a read-only filesystem (or a read-only file and folder) and change nothing${readOnlyMethod === null ? ' — SKIPPED: running as root without unshare, so nothing here can be made read-only' : ''}`, async () => {
    const folder = join(scratch, 'ro-source');
    const mount = join(scratch, 'ro');
    mkdirSync(folder);
    mkdirSync(mount);
    copyFileSync(demoDb, join(folder, 'demo.db'));
    const before = readFileSync(join(folder, 'demo.db'));
    const asRoot = process.getuid?.() === 0;
    // Root ignores file modes, so as root the folder is bind-mounted read-only in a private mount namespace.
    const wrap = (args: string[]): { command: string[]; args: string[] } =>
      asRoot
        ? { command: ['unshare', '-rm', 'sh', '-c', 'mount --bind -o ro "$1" "$2" && shift 2 && exec "$@"', 'sh', folder, mount, process.execPath], args }
        : { command: [process.execPath], args };
    let target = folder;
    if (asRoot) {
      target = mount;
    } else {
      chmodSync(join(folder, 'demo.db'), 0o444);
      chmodSync(folder, 0o555);
    }
    const store = `sqlite:${join(target, 'demo.db')}`;
    try {
      for (const args of [['replay', '--store', store, '--json'], ['audit', '--store', store, '--verify', '--expect-head', demoHead]]) {
        const w = wrap(args);
        const r = await runBinary(w.args, asRoot ? { command: w.command } : {});
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
      }
    } finally {
      if (!asRoot) chmodSync(folder, 0o755);
    }
    expect(readFileSync(join(folder, 'demo.db')).equals(before)).toBe(true);
  });
});

describe('user data as keys, end to end', () => {
  it('strategy ids and symbols named __proto__, constructor and toString survive from the log to replay --json and audit', async () => {
    const path = join(scratch, 'proto.db');
    const store = await openEventStore(`sqlite:${path}`);
    // The hand-worked fixture log with a → __proto__, b → constructor, X → __proto__, Y → toString (JSON.parse keeps them own keys).
    const text = JSON.stringify(fixtureBatches()).replace(/"a"/g, '"__proto__"').replace(/"b"/g, '"constructor"').replace(/"X"/g, '"__proto__"').replace(/"Y"/g, '"toString"');
    await appendBatches(store, JSON.parse(text) as ReturnType<typeof fixtureBatches>);
    await store.close();
    const r = await runBinary(['replay', '--store', `sqlite:${path}`, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as {
      summary: { strategies: Record<string, string>; portfolioValue: string };
      strategies: { strategyId: string; value: string | null }[];
      positions: { strategies: { strategyId: string; positions: { symbol: string; quantity: string }[] }[] };
    };
    expect(Object.keys(out.summary.strategies)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(out.summary.strategies)).toBe(Object.prototype);
    expect(out.summary.portfolioValue).toBe('1053');
    expect(out.strategies.map((s) => [s.strategyId, s.value])).toEqual([
      ['__proto__', '600'],
      ['constructor', '345'],
    ]);
    expect(out.positions.strategies.map((s) => [s.strategyId, s.positions.map((p) => `${p.symbol} ${p.quantity}`)])).toEqual([
      ['__proto__', []],
      ['constructor', ['toString -5']],
    ]);
    // Read a second time from the checkpoints the first replay saved: the same output.
    expect((await runBinary(['replay', '--store', `sqlite:${path}`, '--json'])).out).toBe(r.out);
    const audit = await runBinary(['audit', '--store', `sqlite:${path}`]);
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/r1\s+__proto__\s+61\.25%\s+50\.00%\s+56\.71%\s+600\.00/);
    expect(audit.out).toMatch(/r1\s+constructor\s+29\.30%\s+50\.00%\s+33\.08%\s+350\.00/);
  });
});
