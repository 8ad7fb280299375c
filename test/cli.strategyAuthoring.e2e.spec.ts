// A quant's own strategy modules through the built binary: the documented example as written, and the mistakes authors
// make (a module that does not parse or throws on import, a factory that writes to its params, console output, a module
// edited between two runs of one portfolio).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import type { RunSummaryJson } from '../src/cli/runSummary.js';
import { runBin } from './fixtures/cliRun.js';
import { openEventStore } from '../events/openEventStore.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-authoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
mkdirSync(join(scratch, 'strategies'));

function module(name: string, code: string): string {
  writeFileSync(join(scratch, 'strategies', name), code);
  return `./strategies/${name}`;
}

function config(name: string, modulePath: string, params: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify({ id: name, name, capital: '100000', strategies: [{ id: 'mine', module: modulePath, params, allocation: '0.5' }], ...extra }));
  return path;
}

describe('strategy modules through the CLI', async () => {
  const bars = join(scratch, 'bars.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 11, symbols: 2, bars: 80, start: '2023-01-02' }));

  it('the complete example of docs/strategies.md runs as written (a .ts module under node --import tsx)', async () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'strategies.md'), 'utf8');
    const example = /^```ts\n(\/\/ strategies\/dipBuyer\.ts[\s\S]*?)^```$/m.exec(doc)?.[1];
    expect(example).toBeDefined();
    const path = config('dip', module('dipBuyer.ts', example ?? ''), { symbol: 'SYN01' });
    const { code, out, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', 'memory:', '--json'], {
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import tsx`,
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(out) as RunSummaryJson;
    expect(summary.statistics.faults).toEqual([]);
    expect(summary.strategies[0]?.id).toBe('mine');
    expect(Number(summary.netting.grossTradedValue)).toBeGreaterThan(0);
  });

  it('a module that does not parse is refused naming the file, line and code; no store is made', async () => {
    const db = join(scratch, 'syntax.db');
    const path = config('syntax', module('syntax.js', 'export default {\n  name: "x",\n  onBar(ctx) { ctx.order("SYN01", 1) \n'));
    const { code, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`could not be loaded: SyntaxError: Unexpected end of input at ${join(scratch, 'strategies', 'syntax.js')}:\\d+`));
    expect(existsSync(db)).toBe(false);
  });

  it("a module whose top-level code throws is refused at the throwing line", async () => {
    const path = config('toplevel', module('toplevel.js', 'export default { name: "x", onBar() {} };\nsetup.configure();\n'));
    const { code, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', 'memory:']);
    expect(code).toBe(2);
    expect(err).toContain(`could not be loaded: ReferenceError: setup is not defined at ${join(scratch, 'strategies', 'toplevel.js')}:2:1\n`);
  });

  it('a module path that names no file says where it looked and what the folder holds', async () => {
    module('dipBuyer.js', 'export default { name: "x", onBar() {} };\n');
    const path = config('typo', './strategies/dipBuyr.js');
    const { code, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', 'memory:']);
    expect(code).toBe(2);
    expect(err).toContain(`strategies[0] (mine): strategy module ./strategies/dipBuyr.js: there is no file ${join(scratch, 'strategies', 'dipBuyr.js')} (module paths are relative to ${scratch}, the config file's folder; it holds dipBuyer.js`);
    expect(err).not.toContain('imported from');
  });

  it('a factory that writes to its params is refused before the store is opened; the file config is what is recorded', async () => {
    const db = join(scratch, 'params.db');
    const path = config('params', module('params.js', 'export default function f(params) { params.symbol = "SYN02"; return { name: "p", onBar() {} }; }\n'), { symbol: 'SYN01' });
    const { code, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', `sqlite:${db}`]);
    expect(code).toBe(2);
    expect(err).toBe(
      `stratafolio: ${path}: strategies[0] (mine): strategy module ./strategies/params.js, export "default": the factory threw: TypeError: Cannot assign to read only property 'symbol' of object '#<Object>' (a strategy's params are read-only: copy what you need to change)\n`,
    );
    expect(existsSync(db)).toBe(false);
  });

  it("what strategy code prints goes to stderr, so --json's stdout stays one JSON object; init and the first onBar both see the initial allocation", async () => {
    const path = config(
      'chatty',
      module('chatty.js', 'export default { name: "c", init(ctx) { console.log("init moved", ctx.capitalMoved.toString()); }, onBar(ctx) { if (ctx.barIndex < 2) console.info("bar", ctx.barIndex, "moved", ctx.capitalMoved.toString()); if (ctx.barIndex === 2) { console.table([{ bar: 2 }]); console.dir({ dir: 2 }); console.count("bars"); } } };\n'),
    );
    const { code, out, err } = await runBin(['backtest', '--config', path, '--bars', bars, '--store', 'memory:', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(out) as RunSummaryJson).slicesThisRun).toBe(80);
    expect(err).toMatch(/^init moved 50000\nbar 0 moved 50000\nbar 1 moved 0\n┌.*\n.*bar.*\n[\s\S]*\{ dir: 2 \}\nbars: 1\n$/);
  });

  it('a module edited after a run is refused when the same command runs again (exit 2, the store as it was); restored, the run resumes, and the log replays and verifies', async () => {
    const url = `sqlite:${join(scratch, 'edited.db')}`;
    const half = join(scratch, 'bars-first-40.csv');
    await writeLongCsv(half, syntheticSlices({ seed: 11, symbols: 2, bars: 40, start: '2023-01-02' }));
    const original = 'export default { name: "e", onBar(ctx) { if (ctx.barIndex % 3 === 0) ctx.order("SYN01", 1); } };\n';
    const modulePath = module('edited.js', original);
    const path = config('edited', modulePath);
    const first = await runBin(['backtest', '--config', path, '--bars', half, '--store', url, '--json']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const hashes = async (): Promise<string[]> => {
      const store = await openEventStore(url);
      try {
        return (await readAllEvents(store)).map((e) => e.metadata.hash);
      } finally {
        await store.close();
      }
    };
    const before = await hashes();

    module('edited.js', original.replace('% 3', '% 2'));
    const again = await runBin(['backtest', '--config', path, '--bars', bars, '--store', url, '--json']);
    expect(again.code).toBe(2);
    expect(again.out).toBe('');
    expect(again.err.trimEnd().split('\n')).toHaveLength(1);
    expect(again.err).toContain("strategy mine's module ./strategies/edited.js");
    expect(again.err).toMatch(/SHA-256 [0-9a-f]{12}… when the portfolio was created and [0-9a-f]{12}… now/);
    expect(again.err).toMatch(/restore the file as it was, or run the changed strategy into another store or under another portfolio id/);
    expect(await hashes()).toEqual(before);

    module('edited.js', original);
    const resumed = await runBin(['backtest', '--config', path, '--bars', bars, '--store', url, '--json']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out) as RunSummaryJson).toMatchObject({ resumed: true, slicesThisRun: 40, slices: 80 });

    const replay = await runBin(['replay', '--store', url, '--json']);
    expect(replay.err).toBe('');
    expect(replay.code).toBe(0);
    const audit = await runBin(['audit', '--store', url, '--verify']);
    expect(audit.err).toBe('');
    expect(audit.code).toBe(0);
  });
});
