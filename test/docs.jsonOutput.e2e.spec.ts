// README's "JSON output" names every top-level key each command's --json prints, so a script written from it finds
// what is really there.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runCli, twoStrategyConfig } from './fixtures/cliRun.js';

const repoRoot = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-json-doc-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function jsonSection(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('## JSON output');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, end);
}

async function keysOf(...args: string[]): Promise<string[]> {
  const r = await runCli(...args);
  expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
  return Object.keys(JSON.parse(r.out) as object);
}

/** The object `serve --json` prints once it listens (through the built binary: serve runs until a signal). */
async function serveKeys(store: string): Promise<string[]> {
  const proc = spawn(process.execPath, [join(repoRoot, 'bin', 'stratafolio.js'), 'serve', '--store', store, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  try {
    return await new Promise<string[]>((resolve, reject) => {
      proc.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.endsWith('}\n')) resolve(Object.keys(JSON.parse(out) as object));
      });
      proc.on('close', (code) => reject(new Error(`serve ended (${code}) before printing its JSON: ${err}`)));
    });
  } finally {
    proc.kill('SIGTERM');
  }
}

describe('README "JSON output"', () => {
  it("names every top-level key of demo, replay, audit, report, copy, serve and allocate's --json", { timeout: 120_000 }, async () => {
    const store = `sqlite:${join(scratch, 'demo.db')}`;
    const printed: Record<string, string[]> = {
      demo: await keysOf('demo', '--store', store, '--slices', '80', '--json'),
      replay: await keysOf('replay', '--store', store, '--json'),
      audit: await keysOf('audit', '--store', store, '--json'),
      'audit --verify': await keysOf('audit', '--store', store, '--verify', '--json'),
      report: await keysOf('report', '--store', store, '--out', join(scratch, 'r.html'), '--json'),
      copy: await keysOf('copy', '--from', store, '--to', `sqlite:${join(scratch, 'copy.db')}`, '--json'),
      serve: await serveKeys(store),
      allocate: await keysOf('allocate', '--candidates', join(repoRoot, 'examples', 'candidates.csv'), '--capital', '100000', '--json'),
    };
    const section = jsonSection();
    const missing = Object.entries(printed).flatMap(([command, keys]) => keys.filter((k) => !section.includes(`\`${k}\``) && !section.includes(`\`${k}[]\``)).map((k) => `${command}: ${k}`));
    expect(missing).toEqual([]);
  });

  it("names every key of a fault, as backtest, replay and audit print it", { timeout: 120_000 }, async () => {
    writeFileSync(join(scratch, 'boom.js'), "export default function boom() { return { onBar() { throw new Error('boom'); } }; }\n");
    const config = twoStrategyConfig('faulty', 'a strategy that throws', {});
    (config.strategies as unknown[]).push({ id: 'boom', module: './boom.js', allocation: '0.1' });
    writeFileSync(join(scratch, 'faulty.json'), JSON.stringify(config));
    await writeLongCsv(join(scratch, 'faulty.csv'), syntheticSlices({ seed: 5, symbols: 3, bars: 20, start: '2023-01-02' }));
    const store = `sqlite:${join(scratch, 'faulty.db')}`;
    const run = await runCli('backtest', '--config', join(scratch, 'faulty.json'), '--bars', join(scratch, 'faulty.csv'), '--store', store, '--json');
    expect(run.code, run.err).toBe(0);
    const replay = await runCli('replay', '--store', store, '--json');
    const faults = [
      ...(JSON.parse(run.out) as { statistics: { faults: object[] } }).statistics.faults,
      ...(JSON.parse(replay.out) as { faults: object[] }).faults,
    ];
    expect(faults.length).toBe(2);
    const section = jsonSection();
    const described = /`faults\[\]` \(([\s\S]*?)`liquidations\[\]`/.exec(section)?.[1] ?? '';
    const missing = [...new Set(faults.flatMap((f) => Object.keys(f)))].filter((k) => !described.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it('does not claim that every --json prints one object: paper, command and replay --follow print one line each', () => {
    const section = jsonSection();
    expect(section).not.toMatch(/Every `--json` prints one JSON object/);
    for (const named of ['`paper`', '`command`', '`replay --follow`']) expect(section).toContain(named);
  });
});
