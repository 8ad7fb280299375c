// The built binary on a disk that fills up under a paper session and a backtest (a small tmpfs; skipped, saying why,
// where mounting is not allowed): one line naming the store and what to do, exit 1, every slice reported is in the log
// and the log verifies; the readers of the full store keep working; once space is freed, the same command ends with the
// log an uninterrupted run writes. Writing the output of a command to a full disk leaves no half-written file.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { BINARY, runBinary } from './fixtures/binaryRun.js';
import { PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './fixtures/smallDisk.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-full-disk-'));
const disks: SmallDisk[] = [];
afterAll(() => {
  for (const d of disks) d.unmount();
  rmSync(scratch, { recursive: true, force: true });
});

/** Bars that move both ways, so the strategies trade and the log grows by more than marks. */
const BARS = minuteBars(0, 2500, { move: (i) => Math.round(200 * Math.sin(i / 37) + 50 * Math.sin(i / 5)) });
/** The paper tests' config, with the bars a year of minute bars: no command warns about the annualisation. */
const CONFIG = join(scratch, 'paper.json');
writeFileSync(CONFIG, JSON.stringify({ ...(JSON.parse(readFileSync(PAPER_CONFIG, 'utf8')) as object), barsPerYear: 525600 }));
const paperArgs = (store: string): string[] => ['paper', '--config', CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0', '--json'];

interface Line {
  readonly type: string;
  readonly time?: string;
  readonly headHash?: string;
}
const jsonLines = (out: string): Line[] => out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
const errorLines = (err: string): string[] => err.trim().split('\n').filter((l) => l !== '');

async function barTimesIn(store: string): Promise<string[]> {
  return (await streamEvents(store, 'portfolio-paper')).flatMap((e) => (e.type === 'BarMarked' ? [e.metadata.barTime as string] : []));
}

describe.skipIf(smallDiskUnavailable !== null)(`a paper session whose disk fills up${smallDiskUnavailable === null ? '' : ` — SKIPPED: ${smallDiskUnavailable}`}`, () => {
  let disk: SmallDisk;
  let path = '';
  let store = '';
  let reported: string[] = [];

  it('stops with exit 1 and one line naming the store, the full device and what to do; every slice it reported is in the log, which verifies, and a follower saw every one', async () => {
    disk = mountSmallDisk(1024);
    disks.push(disk);
    path = join(disk.dir, 'paper.db');
    store = `sqlite:${path}`;
    // An export made before the disk filled up, which a failed export must leave as it was.
    writeFileSync(join(disk.dir, 'bars.ndjson'), 'the export before\n');
    const first = startCli(paperArgs(store), BARS.split('\n').slice(0, 40).join('\n'));
    expect(await first.exited).toBe(0);
    const follow = startCli(['replay', '--store', store, '--follow', '--json']);
    await follow.linesOut(1);

    const session = startCli(paperArgs(store), BARS);
    expect(await session.exited).toBe(1);
    expect(errorLines(session.err())).toEqual([
      expect.stringMatching(
        new RegExp(
          `^stratafolio: event store ${store}: no space left on the device that holds ${path}: the (append was not stored|write-ahead log was not copied into the file \\(nothing is lost: it stays in the -wal file\\))\\. ` +
            'What the store acknowledged before is kept\\. Free space there .*then run the same command again \\(a backtest or paper session resumes after the last slice stored\\)$',
        ),
      ),
    ]);
    reported = [...jsonLines(first.out()), ...jsonLines(session.out())].flatMap((l) => (l.type === 'slice' && l.time !== undefined ? [l.time] : []));
    expect(reported.length).toBeGreaterThan(100);
    const logged = await barTimesIn(store);
    expect(logged.slice(0, reported.length)).toEqual(reported);

    const audit = await runBinary(['audit', '--store', store, '--verify']);
    expect(audit.code).toBe(0);
    // The follower is a reader: the full disk does not stop it, and it folded up to the last slice stored.
    await new Promise((resolve) => setTimeout(resolve, 500));
    follow.child.kill('SIGTERM');
    expect(await follow.exited).toBe(0);
    expect(jsonLines(follow.out()).at(-1)?.time).toBe(logged.at(-1));
  });

  it('on the full store: replay prints the log’s numbers (saying so when its checkpoints could not be saved); report and export-bars leave no file behind', async () => {
    const bars = join(disk.dir, 'bars.ndjson');
    // The failed session may have left a few pages free: none are left for what follows.
    disk.fill();
    const replay = await runBinary(['replay', '--store', store, '--json']);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.out)).toMatchObject({ portfolioId: 'paper' });
    // Whether the checkpoints fit depends on the pages SQLite can reuse in its -wal (test/projections.runner.unit.spec.ts
    // refuses them every time); when they do not, replay says so and goes on.
    for (const line of replay.err.split('\n').filter((l) => l !== '')) {
      expect(line).toBe(`stratafolio: warning: no space left for the projection checkpoints in ${store}: not saved, so the next replay folds the whole log again; the numbers are the log's all the same`);
    }


    const report = join(disk.dir, 'report.html');
    const reportRun = await runBinary(['report', '--store', store, '--out', report]);
    expect(reportRun.code).toBe(2);
    expect(reportRun.err).toBe(`stratafolio: --out ${report}: cannot write the report: no space left on the device\n`);
    const exportRun = await runBinary(['export-bars', '--store', store, '--out', bars]);
    expect(exportRun.code).toBe(2);
    expect(readFileSync(bars, 'utf8')).toBe('the export before\n');
    expect(readdirSync(disk.dir).sort()).toEqual(['bars.ndjson', 'filler', 'paper.db', 'paper.db-shm', 'paper.db-wal']);
  });

  it('once space is freed, the same command resumes and ends with the head hash of a session never interrupted', async () => {
    disk.resize(32 * 1024);
    const resumed = startCli(paperArgs(store), BARS);
    expect(await resumed.exited).toBe(0);
    const reference = startCli(paperArgs(`sqlite:${join(scratch, 'reference.db')}`), BARS);
    expect(await reference.exited).toBe(0);
    const head = (out: string): string | undefined => jsonLines(out).find((l) => l.type === 'summary')?.headHash;
    expect(head(resumed.out())).toBeDefined();
    expect(head(resumed.out())).toBe(head(reference.out()));
    expect((await runBinary(['audit', '--store', store, '--verify'])).code).toBe(0);
  });
});

describe.skipIf(smallDiskUnavailable !== null)(`a backtest whose disk fills up${smallDiskUnavailable === null ? '' : ` — SKIPPED: ${smallDiskUnavailable}`}`, () => {
  it('stops with exit 1 and one line naming the store and the full device; the log verifies; once space is freed, the same command ends with the head hash of an uninterrupted run', async () => {
    const disk = mountSmallDisk(1024);
    disks.push(disk);
    const bars = join(scratch, 'bars.csv');
    await writeLongCsv(bars, syntheticSlices({ seed: 11, symbols: 8, bars: 1500, start: '2015-01-02' }));
    const config = join(import.meta.dirname, '..', 'examples', 'demo-portfolio.json');
    const path = join(disk.dir, 'backtest.db');
    const args = (store: string): string[] => ['backtest', '--config', config, '--bars', bars, '--store', store, '--json'];

    const failed = await runBinary(args(`sqlite:${path}`));
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(new RegExp(`^stratafolio: event store sqlite:${path}: no space left on the device that holds ${path}: the [^\\n]*\\n$`));
    expect((await runBinary(['audit', '--store', `sqlite:${path}`, '--verify'])).code).toBe(0);

    disk.resize(64 * 1024);
    const resumed = await runBinary(args(`sqlite:${path}`));
    expect(resumed.code).toBe(0);
    const reference = await runBinary(args(`sqlite:${join(scratch, 'backtest-reference.db')}`));
    expect(reference.code).toBe(0);
    const head = (out: string): string => (JSON.parse(out) as { headHash: string }).headHash;
    expect(head(resumed.out)).toBe(head(reference.out));
  });

  it('a new store on a full disk: exit 1 naming it and the full device, and no empty file left where the store would be', async () => {
    const disk = mountSmallDisk(64);
    disks.push(disk);
    writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(64 * 1024 - 4096));
    const path = join(disk.dir, 'new.db');
    const bars = join(scratch, 'small.csv');
    await writeLongCsv(bars, syntheticSlices({ seed: 3, symbols: 2, bars: 30, start: '2023-01-02' }));
    const run = await runBinary(['backtest', '--config', join(import.meta.dirname, '..', 'examples', 'demo-portfolio.json'), '--bars', bars, '--store', `sqlite:${path}`, '--allow-missing-symbols']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(new RegExp(`^stratafolio: event store sqlite:${path}: no space left on the device that holds ${path}: the store was not opened, and nothing was written\\.`));
    expect(existsSync(path)).toBe(false);
  });
});

describe.skipIf(!existsSync('/dev/full'))('standard output on a full disk', () => {
  it('export-bars and replay whose stdout cannot be written: one line saying so, exit 1, no stack trace', async () => {
    const dir = mkdtempSync(join(scratch, 'stdout-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    const session = startCli(paperArgs(store), BARS.split('\n').slice(0, 400).join('\n'));
    expect(await session.exited).toBe(0);
    for (const args of [['export-bars', '--store', store], ['replay', '--store', store, '--json']]) {
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BINARY, ...args], { stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(1);
      expect(err).toBe('stratafolio: cannot write the output to standard output: no space left on the device\n');
    }
  });

  it('a command that prints nothing on stdout is not failed by a stdout that cannot be written: its own exit code and line', async () => {
    const dir = mkdtempSync(join(scratch, 'stdout-quiet-'));
    const store = `sqlite:${join(dir, 'paper.db')}`;
    const session = startCli(paperArgs(store), BARS.split('\n').slice(0, 400).join('\n'));
    expect(await session.exited).toBe(0);
    const cases: readonly { args: string[]; code: number; err: RegExp }[] = [
      { args: ['export-bars', '--store', store, '--out', join(dir, 'bars.ndjson')], code: 0, err: /^$/ },
      { args: ['replay', '--store', `sqlite:${join(dir, 'absent.db')}`, '--json'], code: 2, err: /^stratafolio: --store sqlite:\S+absent\.db: no such file \S+\n$/ },
    ];
    for (const c of cases) {
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BINARY, ...c.args], { stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, c.args[0]).toBe(c.code);
      expect(err, c.args[0]).toMatch(c.err);
    }
  });
});
