// `backtest --bars -` reads its bars from standard input, so `export-bars | backtest --bars - --format ndjson` needs
// no file between them and writes the log the file route writes; stdin without --format is refused naming the flag,
// and bad input is named as stdin with its line and field. An `export-bars --out` its filesystem refuses says so.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY, runBinary, type BinaryResult } from './fixtures/binaryRun.js';
import { PAPER_CONFIG, startCli, streamEvents } from './fixtures/live/paperProcess.js';
import { minuteBars } from './fixtures/live/minuteBars.js';

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bars-stdin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const paperStore = `sqlite:${join(dir, 'paper.db')}`;
const barsFile = join(dir, 'bars.ndjson');

/** `stratafolio <args>` with `input` on its stdin (a pipe), to its end. */
function withInput(args: readonly string[], input: string): Promise<BinaryResult> {
  const child = spawn(process.execPath, [BINARY, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // A run refused before it reads its input closes the pipe: that is the test's to judge, not an error of the runner.
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** `stratafolio export-bars <exportArgs> | stratafolio backtest <backtestArgs>`, through an OS pipe; both results. */
async function pipeline(exportArgs: readonly string[], backtestArgs: readonly string[]): Promise<[BinaryResult, BinaryResult]> {
  const exporter = spawn(process.execPath, [BINARY, 'export-bars', ...exportArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const backtest = spawn(process.execPath, [BINARY, 'backtest', ...backtestArgs], { stdio: [exporter.stdout, 'pipe', 'pipe'] });
  // The backtest holds the pipe's reading end now: this process lets go of its own, as a shell does.
  exporter.stdout.destroy();
  const done = (child: typeof exporter, collectOut: boolean): Promise<BinaryResult> => {
    let out = '';
    let err = '';
    if (collectOut) child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, out, err }));
    });
  };
  return Promise.all([done(exporter, false), done(backtest, true)]);
}

/** Every event of the paper portfolio's stream in `store`, as compared between two logs. */
async function log(store: string): Promise<string[]> {
  return (await streamEvents(store, 'portfolio-paper')).map((e) => JSON.stringify([e.type, e.data, e.metadata]));
}

beforeAll(async () => {
  const session = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', paperStore, '--jit-warm-up', '0'], minuteBars(0, 12));
  expect(await session.exited).toBe(0);
  const exported = await runBinary(['export-bars', '--store', paperStore, '--out', barsFile]);
  expect(exported.code).toBe(0);
  expect(readFileSync(barsFile, 'utf8').trimEnd().split('\n')).toHaveLength(24);
});

describe('backtest --bars - (standard input)', () => {
  it('export-bars piped into backtest --bars - --format ndjson writes the same log as the file route', async () => {
    const fileStore = `sqlite:${join(dir, 'file.db')}`;
    const viaFile = await runBinary(['backtest', '--config', PAPER_CONFIG, '--bars', barsFile, '--format', 'ndjson', '--store', fileStore, '--json']);
    expect(viaFile.code).toBe(0);
    const pipeStore = `sqlite:${join(dir, 'pipe.db')}`;
    const [exporter, viaPipe] = await pipeline(['--store', paperStore], ['--config', PAPER_CONFIG, '--bars', '-', '--format', 'ndjson', '--store', pipeStore, '--json']);
    expect(exporter.code).toBe(0);
    expect(viaPipe.err).toBe(viaFile.err.replaceAll(barsFile, 'stdin'));
    expect(viaPipe.code).toBe(0);
    const summary = JSON.parse(viaPipe.out) as { slices: number; headHash: string };
    expect(summary.slices).toBe(12);
    expect(summary.headHash).toBe((JSON.parse(viaFile.out) as { headHash: string }).headHash);
    expect(await log(pipeStore)).toEqual(await log(fileStore));
    // The session's own log, as a backtest over its bars gives it.
    expect(await log(pipeStore)).toEqual(await log(paperStore));
  });

  it('/dev/stdin is standard input too, and a run resumed on the same bars from stdin skips the slices it has', async () => {
    const store = `sqlite:${join(dir, 'devstdin.db')}`;
    const bars = readFileSync(barsFile, 'utf8');
    const lines = bars.trimEnd().split('\n');
    const first = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '/dev/stdin', '--format', 'ndjson', '--store', store, '--json'], `${lines.slice(0, 10).join('\n')}\n`);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ slices: 5, slicesThisRun: 5 });
    const again = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'ndjson', '--store', store, '--json'], bars);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ resumed: true, slices: 12, slicesThisRun: 7 });
    expect(await log(store)).toEqual(await log(paperStore));
  });

  it('stdin without --format is refused with one line naming the flag (exit 2), and nothing is written', async () => {
    const store = join(dir, 'no-format.db');
    for (const bars of ['-', '/dev/stdin']) {
      const r = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', bars, '--store', `sqlite:${store}`], readFileSync(barsFile, 'utf8'));
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `stratafolio: --bars ${bars} reads standard input, which has no file name to infer the bar format from: give --format ndjson (what export-bars writes), long or wide\n`,
      );
    }
    expect(() => readFileSync(store)).toThrow();
  });

  it('bad bars on stdin are named as stdin, with the line and the field (exit 2), before anything is written', async () => {
    const store = join(dir, 'bad.db');
    const lines = readFileSync(barsFile, 'utf8').trimEnd().split('\n');
    lines[2] = (lines[2] as string).replace(/"close":"[^"]*",/, '');
    const missing = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'ndjson', '--store', `sqlite:${store}`], `${lines.join('\n')}\n`);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('stratafolio: stdin, line 3, column close: missing member "close"\n');
    const csv = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'long', '--store', `sqlite:${store}`], 'timestamp,symbol,open,high,low,close,volume\n2024-03-01T00:00:00Z,BTCUSDT,1,1,1,x,1\n');
    expect(csv.code).toBe(2);
    expect(csv.err).toMatch(/^stratafolio: stdin, line 2, column close: .*\n$/);
    const empty = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'ndjson', '--store', `sqlite:${store}`], '');
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^stratafolio: stdin, line 1, column timestamp: the file is empty/);
    expect(() => readFileSync(store)).toThrow();
  });

  it('a long CSV on stdin runs with --format long', async () => {
    const csvLines = ['timestamp,symbol,open,high,low,close,volume'];
    for (const line of readFileSync(barsFile, 'utf8').trimEnd().split('\n')) {
      const b = JSON.parse(line) as Record<string, string>;
      csvLines.push([b['timestamp'], b['symbol'], b['open'], b['high'], b['low'], b['close'], b['volume']].join(','));
    }
    const store = `sqlite:${join(dir, 'csv.db')}`;
    const r = await withInput(['backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'long', '--store', store, '--json'], `${csvLines.join('\n')}\n`);
    expect(r.code).toBe(0);
    expect(await log(store)).toEqual(await log(paperStore));
  });
});

describe('backtest --bars: input that is not text, and pipes named by path', () => {
  it('a gzip on stdin is refused as soon as its first bytes arrive, not once the whole of it is read, saying how to decompress it on its way in (exit 2)', async () => {
    const store = join(dir, 'gzip.db');
    const child = spawn(process.execPath, [BINARY, 'backtest', '--config', PAPER_CONFIG, '--bars', '-', '--format', 'ndjson', '--store', `sqlite:${store}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.on('error', () => undefined);
    // The compressed bars and then nothing more, the pipe left open: as a large file piped in would be while it is read.
    child.stdin.write(gzipSync(readFileSync(barsFile)));
    const code = await new Promise<number | null>((resolve) => {
      const stop = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.on('close', (c) => {
        clearTimeout(stop);
        resolve(c);
      });
    });
    child.stdin.destroy();
    expect(err).toBe('stratafolio: stdin: the input is gzip-compressed: decompress it on its way in (gunzip -c bars.ndjson.gz | stratafolio backtest … --bars -)\n');
    expect(code).toBe(2);
    expect(() => readFileSync(store)).toThrow();
  });

  it('a pipe named by path (a process substitution) is read once, as standard input is: the same log as the file', async () => {
    const store = `sqlite:${join(dir, 'substitution.db')}`;
    const quoted = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
    const backtest = `${quoted(process.execPath)} ${quoted(BINARY)} backtest --config ${quoted(PAPER_CONFIG)} --store ${quoted(store)} --json`;
    const r = await runShell(`${backtest} --bars <(cat ${quoted(barsFile)}) --format ndjson`);
    // Named by its path, as a file is (these minute bars are far more than the config's bars a year).
    expect(r.err).toMatch(/^stratafolio: warning: \/dev\/fd\/\d+: its 12 slices come about \d+ a year [^\n]*\n$/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ slices: 12, slicesThisRun: 12 });
    expect(await log(store)).toEqual(await log(paperStore));
    // Without --format: its name says nothing of the format, and it can be read only once.
    const bare = await runShell(`${backtest} --bars <(cat ${quoted(barsFile)})`);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/^stratafolio: --bars \/dev\/fd\/\d+ is a pipe, which can be read only once \(whole, into memory\), so its bar format is not inferred: give --format ndjson \(what export-bars writes\), long or wide\n$/);
  });
});

/** `bash -c <script>` to its end (process substitution needs bash). */
function runShell(script: string): Promise<BinaryResult> {
  const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('export-bars --out on a filesystem that takes no new files', () => {
  it('/proc/x: says the folder exists but its filesystem refuses new files, not that the folder is missing (exit 2)', async () => {
    const r = await runBinary(['export-bars', '--store', paperStore, '--out', '/proc/x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('stratafolio: --out /proc/x: cannot write the bars: /proc takes no new files (its filesystem refused to create one there, though the folder exists)\n');
  });

  it('a path whose folder does not exist still says so', async () => {
    const out = join(dir, 'no-such-folder', 'bars.ndjson');
    const r = await runBinary(['export-bars', '--store', paperStore, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`stratafolio: --out ${out}: cannot write the bars: no such folder ${join(dir, 'no-such-folder')}\n`);
  });
});
