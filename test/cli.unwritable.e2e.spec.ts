// A report or a new store that cannot be written is refused with one line that names the file and says why, exit 2.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { BINARY, runBinary } from './fixtures/binaryRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-unwritable-'));
afterAll(() => {
  chmodSync(join(scratch, 'locked'), 0o755);
  rmSync(scratch, { recursive: true, force: true });
});

const asRoot = process.getuid?.() === 0;
/**
 * How this test denies a write: as a normal user a folder without write permission is enough; root ignores modes, so
 * as root the command runs as nobody (setpriv), which can read the scratch files but not write into the locked folder.
 */
const denial: 'modes' | 'nobody' | null = (() => {
  if (!asRoot) return 'modes';
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', '0'], { stdio: 'ignore' });
    return 'nobody';
  } catch {
    return null;
  }
})();
const asUnprivileged = (): { command?: readonly string[] } =>
  denial === 'nobody' ? { command: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] } : {};

let config = '';
let bars = '';
let store = '';
const aFile = join(scratch, 'a-file');
const locked = join(scratch, 'locked');
beforeAll(async () => {
  chmodSync(scratch, 0o755); // readable by nobody
  bars = join(scratch, 'bars.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 3, symbols: 2, bars: 30, start: '2023-01-02' }));
  config = join(scratch, 'config.json');
  writeFileSync(config, JSON.stringify({ id: 'pf', name: 'unwritable', capital: '100000', strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }] }));
  store = join(scratch, 'run.db');
  const r = await runBinary(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${store}`, '--json']);
  expect(r.code).toBe(0);
  chmodSync(store, 0o644);
  writeFileSync(aFile, 'not a folder');
  mkdirSync(locked, { mode: 0o555 });
  chmodSync(locked, 0o555);
});

describe('report --out that cannot be written', () => {
  it('a path through a file: names the --out file and the file in the way, writes nothing', async () => {
    const out = join(aFile, 'report.html');
    const r = await runBinary(['report', '--store', `sqlite:${store}`, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: --out ${out}: cannot write the report: ${aFile} is not a folder\n`);
  });

  it.skipIf(denial === null)(`a folder it may not write into: says permission was denied${denial === null ? ' — SKIPPED: root without setpriv' : ''}`, async () => {
    const out = join(locked, 'report.html');
    const r = await runBinary(['report', '--store', `sqlite:${store}`, '--out', out], asUnprivileged());
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: --out ${out}: cannot write the report: permission denied: cannot create files in ${locked}\n`);
    expect(readdirSync(locked)).toEqual([]);
  });
});

describe('backtest into a new SQLite store that cannot be created', () => {
  it('a path through a file: says which part of the path is not a folder', async () => {
    const db = join(aFile, 'sub', 'new.db');
    const r = await runBinary(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot open "${db}" as an SQLite event store: ${aFile} is not a folder`);
  });

  it.skipIf(denial === null)(`a folder it may not write into: says permission was denied${denial === null ? ' — SKIPPED: root without setpriv' : ''}`, async () => {
    const db = join(locked, 'new.db');
    const r = await runBinary(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`], asUnprivileged());
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot open "${db}" as an SQLite event store: permission denied: cannot create files in ${locked}`);
    expect(existsSync(db)).toBe(false);
  });
});

describe('an --out that is the store itself', () => {
  it('report --out naming the store file (or its WAL, or a link to it) is refused, and the log is left as it was', async () => {
    const before = readFileSync(store);
    const link = join(scratch, 'link-to-store.db');
    symlinkSync(store, link);
    for (const out of [store, `${store}-wal`, link]) {
      const r = await runBinary(['report', '--store', `sqlite:${store}`, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`stratafolio: --out ${out}: cannot write the report: it is the file of the event store sqlite:${store}, which writing would destroy; give another path (e.g. report.html)\n`);
    }
    expect(readFileSync(store).equals(before)).toBe(true);
  });
});

describe('a store folder that cannot be made', () => {
  it.skipIf(process.platform !== 'linux')('under /proc (where mkdir fails with ENOENT on a folder that exists): refused at once, not a hang', () => {
    const db = '/proc/stratafolio-no-such-folder/x.db';
    const r = spawnSync(process.execPath, [BINARY, 'backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^stratafolio: sqlite:\/proc\/stratafolio-no-such-folder\/x\.db: cannot open "\/proc\/stratafolio-no-such-folder\/x\.db" as an SQLite event store/);
  });
});

describe('a config file it may not read', () => {
  it.skipIf(denial === null)(`says permission was denied, naming the file${denial === null ? ' — SKIPPED: root without setpriv' : ''}`, async () => {
    const secret = join(scratch, 'secret.json');
    writeFileSync(secret, readFileSync(config));
    chmodSync(secret, 0o600);
    const r = await runBinary(['backtest', '--config', secret, '--bars', bars, '--store', 'memory:'], asUnprivileged());
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: ${secret}: cannot read the config file: permission denied\n`);
  });
});

describe('backtest and paper on an existing SQLite store this user may not write', () => {
  it.skipIf(denial === null)(`refused at start (exit 2) naming the store, why and what to do; the store is left as it was${denial === null ? ' — SKIPPED: root without setpriv' : ''}`, async () => {
    const mine = join(scratch, 'readonly-store');
    mkdirSync(mine);
    const db = join(mine, 'run.db');
    copyFileSync(store, db);
    chmodSync(mine, 0o755);
    chmodSync(db, 0o444);
    const before = readFileSync(db);
    const r = await runBinary(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`], asUnprivileged());
    expect(r.code).toBe(2);
    // Refused when it opens the store, or at its first write (when the file needs no write to be opened): either way
    // one line naming the store and why.
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err).toMatch(new RegExp(`^stratafolio: (event store )?sqlite:${db}.*permission denied: ${db} cannot be written`));
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});
