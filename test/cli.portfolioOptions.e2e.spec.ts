// What a run reports about itself: user code that never returns ends it naming the strategy and bar; recovery says what it ignored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runCli } from './fixtures/cliRun.js';
import { runBinary } from './fixtures/binaryRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-options-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const repoRoot = join(import.meta.dirname, '..');

describe('backtest --strategy-timeout', async () => {
  const bars = join(scratch, 'bars.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 9, symbols: 3, bars: 20, start: '2023-01-02' }));

  it('ends a run whose strategy code does not return with exit 1, naming the strategy and the bar; the slices before it stay', async () => {
    const config = join(scratch, 'spin.json');
    writeFileSync(
      config,
      JSON.stringify({
        id: 'spin',
        name: 'spins',
        capital: '1000',
        strategies: [{ id: 'spinner', module: join(repoRoot, 'test', 'fixtures', 'strategies', 'spinsForever.mjs'), export: 'spinsForever', allocation: '0.5' }],
      }),
    );
    const url = `sqlite:${join(scratch, 'spin.db')}`;
    const { code, err } = await runCli('backtest', '--config', config, '--bars', bars, '--store', url, '--strategy-timeout', '300');
    expect(code).toBe(1);
    expect(err).toMatch(/spinner/);
    expect(err).toMatch(/2023-01-06/);
    const replay = await runCli('replay', '--store', url, '--json');
    expect(replay.code).toBe(0);
    expect((JSON.parse(replay.out) as { revision: number }).revision).toBeGreaterThan(0);
  });

  it('does not stop a strategy whose calls are slow but each within the limit, also one slower than the slice before it', async () => {
    // onBar busy for 450 ms, then 560 ms, then 100 ms a slice: each far within the limit of 1,000 ms.
    writeFileSync(
      join(scratch, 'slow.mjs'),
      [
        'const busyMs = [450, 560];',
        'export default {',
        '  name: "slow",',
        '  onBar(ctx) {',
        '    const until = performance.now() + (busyMs[ctx.barIndex] ?? 100);',
        '    while (performance.now() < until);',
        '  },',
        '};',
      ].join('\n'),
    );
    const config = join(scratch, 'slow.json');
    writeFileSync(config, JSON.stringify({ id: 'slow', name: 'slow', capital: '1000', strategies: [{ id: 'slow', module: './slow.mjs', allocation: '0.5' }] }));
    const tenSlices = join(scratch, 'ten.csv');
    await writeLongCsv(tenSlices, syntheticSlices({ seed: 9, symbols: 3, bars: 10, start: '2023-01-02' }));
    // The binary on SQLite, as a user runs it: its appends are on a writer thread, so the run decides slices in batches.
    const { code, err, out } = await runBinary(['backtest', '--config', config, '--bars', tenSlices, '--store', `sqlite:${join(scratch, 'slow.db')}`, '--strategy-timeout', '1000', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ slices: 10 });
  });

  it('refuses a timeout that is not a positive number of milliseconds', async () => {
    const { code, err } = await runCli('backtest', '--config', 'x.json', '--bars', bars, '--strategy-timeout', 'soon');
    expect(code).toBe(2);
    expect(err).toMatch(/--strategy-timeout must be a positive number of milliseconds up to 2147483647 \(about 596h, the longest a timer can wait\), got "soon"/);
  });
});

describe('recovery warnings', () => {
  it('an altered recovery snapshot is ignored and said so on stderr; the run goes on from the log', async () => {
    const db = join(scratch, 'demo.db');
    expect((await runCli('demo', '--store', `sqlite:${db}`, '--slices', '260')).code).toBe(0);
    const sqlite = new Database(db);
    const row = sqlite.prepare("SELECT key, value FROM documents WHERE collection = 'snapshots'").get() as { key: string; value: string } | undefined;
    expect(row).toBeDefined();
    sqlite.prepare("UPDATE documents SET value = ? WHERE collection = 'snapshots' AND key = ?").run(row?.value.replace(/\\"reserve\\":\\"(\d)/, '\\"reserve\\":\\"9$1'), row?.key);
    sqlite.close();
    const again = await runCli('demo', '--store', `sqlite:${db}`, '--slices', '260', '--json');
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/^stratafolio: warning: recovery snapshot of portfolio-demo ignored \(.*\); the state was rebuilt by folding the stream\n$/);
  });
});
