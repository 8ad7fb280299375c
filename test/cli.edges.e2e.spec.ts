// The shipped binary at its edges: --version, a reader that closes early, and a command that can never finish.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_VERSION } from '../src/version.js';

const repoRoot = join(import.meta.dirname, '..');
const bin = join(repoRoot, 'bin', 'stratafolio.js');
const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-edges-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs the binary; with `closeAfterFirstLine`, stdout is closed once a line has arrived, as `| head -1` does. */
function run(args: readonly string[], closeAfterFirstLine = false): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (closeAfterFirstLine && out.includes('\n')) child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('the binary', () => {
  it('--version prints the code version that portfolios record, which is the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(CODE_VERSION).toBe(pkg.version);
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(CODE_VERSION);
  });

  it('starts through its #! line, as npx and an installed binary start it', async () => {
    const { code, out, err } = await new Promise<Exit>((resolve, reject) => {
      const child = spawn(bin, ['--version'], {
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` },
      });
      let o = '';
      let e = '';
      child.stdout.on('data', (chunk: Buffer) => (o += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (e += chunk.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, out: o, err: e }));
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trim()).toBe(CODE_VERSION);
  });

  it('replay --help and audit --help say that --store is required', async () => {
    for (const command of ['replay', 'audit']) {
      const { code, out } = await run([command, '--help']);
      expect(code).toBe(0);
      expect(out).toMatch(/^\s+--store <url>\s+.*\(required\)$/m);
    }
  });

  it('ends quietly with exit 0 when its reader closes early (stratafolio demo | head -1)', async () => {
    const { code, err } = await run(['demo', '--store', 'memory:', '--slices', '400'], true);
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('a strategy module whose factory never settles is refused at --strategy-timeout, naming the strategy and module (exit 2)', async () => {
    const module = join(repoRoot, 'test', 'fixtures', 'strategies', 'neverSettles.mjs');
    const config = join(scratch, 'never.json');
    writeFileSync(config, JSON.stringify({ id: 'never', name: 'never settles', capital: '1000', strategies: [{ id: 'n', module, export: 'neverSettles', allocation: '0.5' }] }));
    const bars = join(scratch, 'bars.csv');
    writeFileSync(bars, 'timestamp,symbol,open,high,low,close,volume\n2024-01-02,AAA,10,10,10,10,1\n');
    const { code, err } = await run(['backtest', '--config', config, '--bars', bars, '--store', 'memory:', '--strategy-timeout', '500']);
    expect(code).toBe(2);
    expect(err).toBe(`stratafolio: ${config}: strategies[0] (n): strategy module ${module}: its import and factory did not finish within 500 ms (a factory must return a strategy, or a promise that settles; raise --strategy-timeout (strategyTimeoutMs) if it needs longer)\n`);
  });

  it('a strategy module whose top-level await never settles is refused the same way, naming it', async () => {
    const module = join(scratch, 'waitsAtTop.mjs');
    writeFileSync(module, 'await new Promise(() => {});\nexport default { onBar() {} };\n');
    const config = join(scratch, 'top.json');
    writeFileSync(config, JSON.stringify({ id: 'top', name: 'waits at top', capital: '1000', strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.4' }, { id: 'w', module: './waitsAtTop.mjs', allocation: '0.5' }] }));
    const bars = join(scratch, 'bars-top.csv');
    writeFileSync(bars, 'timestamp,symbol,open,high,low,close,volume\n2024-01-02,AAA,10,10,10,10,1\n');
    const { code, err } = await run(['backtest', '--config', config, '--bars', bars, '--store', 'memory:', '--strategy-timeout', '500']);
    expect(code).toBe(2);
    expect(err).toBe(`stratafolio: ${config}: strategies[1] (w): strategy module ./waitsAtTop.mjs: its import and factory did not finish within 500 ms (a factory must return a strategy, or a promise that settles; raise --strategy-timeout (strategyTimeoutMs) if it needs longer)\n`);
  });

  it('a strategy module whose factory never settles while its timer keeps the process alive fails at --strategy-timeout, exit 2', async () => {
    const module = join(repoRoot, 'test', 'fixtures', 'strategies', 'neverSettles.mjs');
    const config = join(scratch, 'never-busy.json');
    writeFileSync(config, JSON.stringify({ id: 'busy', name: 'never settles, busy', capital: '1000', strategies: [{ id: 'n', module, export: 'neverSettlesWhileBusy', allocation: '0.5' }] }));
    const bars = join(scratch, 'bars-busy.csv');
    writeFileSync(bars, 'timestamp,symbol,open,high,low,close,volume\n2024-01-02,AAA,10,10,10,10,1\n');
    const started = Date.now();
    const { code, err } = await run(['backtest', '--config', config, '--bars', bars, '--store', 'memory:', '--strategy-timeout', '500']);
    expect(code).toBe(2);
    expect(err).toBe(`stratafolio: ${config}: strategies[0] (n): strategy module ${module}: its import and factory did not finish within 500 ms (a factory must return a strategy, or a promise that settles; raise --strategy-timeout (strategyTimeoutMs) if it needs longer)\n`);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
