// `stratafolio backtest` and `demo` end to end through main(): summary and exit 0, resume, one clear line and exit 2 on bad input.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJsonFile } from './fixtures/jsonFile.js';
import type { RunSummaryJson } from '../src/cli/runSummary.js';
import { DEMO_CONFIG_INPUT, demoConfig } from '../src/cli/demoPortfolio.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { openEventStore } from '../events/openEventStore.js';
import { portfolioStream } from '../events/envelope.js';
import { dec } from '../src/money/decimal.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';
import { verifyPortfolioLog } from '../projections/logVerification.js';
import { runCli, twoStrategyConfig } from './fixtures/cliRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-backtest-'));
const repoRoot = join(import.meta.dirname, '..');

const cli = runCli;

const config = twoStrategyConfig('bt', 'backtest e2e');

/**
 * The summary's numbers are the last BarMarked's, and the audit refolds every fill and transfer of the stored log
 * through the ledger with the recorded marks and gets those values (independently of the engine's own sums); its head
 * hash is the stored log's.
 */
async function expectSummaryFromLedgerRefold(url: string, s: RunSummaryJson): Promise<void> {
  const store = await openEventStore(url);
  try {
    const stream = portfolioStream(s.portfolioId);
    const verdict = await verifyPortfolioLog(store, stream, { expectHead: s.headHash });
    expect(verdict).toMatchObject({ ok: true, events: s.events, headMatchesExpected: true });
    const marks = (await readAllEvents(store)).filter((e) => e.type === 'BarMarked');
    const last = marks[marks.length - 1] as { data: { portfolioValue: string; reserve: string; strategyValues: Record<string, string> } };
    expect(dec(s.portfolioValue).eq(last.data.portfolioValue)).toBe(true);
    expect(dec(s.reserve).eq(last.data.reserve)).toBe(true);
    for (const st of s.strategies) if (st.state !== 'removed') expect(dec(st.value).eq(last.data.strategyValues[st.id] ?? 'NaN')).toBe(true);
  } finally {
    await store.close();
  }
}

const writeConfig = (name: string, value: unknown): string => writeJsonFile(scratch, name, value);

async function eventCount(url: string): Promise<number> {
  const store = await openEventStore(url);
  const n = (await readAllEvents(store)).length;
  await store.close();
  return n;
}

describe('stratafolio backtest', async () => {
  const bars = join(scratch, 'bars.csv');
  await writeLongCsv(bars, syntheticSlices({ seed: 3, symbols: 5, bars: 80, start: '2023-01-02' }));
  const configPath = writeConfig('config.json', config);

  it('runs a long CSV into a SQLite store, prints a summary and exits 0; running again resumes with 0 new slices', async () => {
    const url = `sqlite:${join(scratch, 'bt.db')}`;
    const first = await cli('backtest', '--config', configPath, '--bars', bars, '--store', url, '--json');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const s1 = JSON.parse(first.out) as RunSummaryJson;
    expect(s1).toMatchObject({ portfolioId: 'bt', resumed: false, slicesThisRun: 80, slices: 80, totalCapital: '250000', firstBarTime: '2023-01-02T00:00:00.000Z' });
    await expectSummaryFromLedgerRefold(url, s1);
    expect(s1.events).toBe(await eventCount(url));

    const again = await cli('backtest', '--config', configPath, '--bars', bars, '--store', url, '--json');
    expect(again.code).toBe(0);
    const s2 = JSON.parse(again.out) as RunSummaryJson;
    expect(s2).toMatchObject({ resumed: true, slicesThisRun: 0, slices: 80, events: s1.events, portfolioValue: s1.portfolioValue });
    expect(await eventCount(url)).toBe(s1.events);
  });

  it('prints a readable summary without --json', async () => {
    const url = `sqlite:${join(scratch, 'bt-text.db')}`;
    const { code, out } = await cli('backtest', '--config', configPath, '--bars', bars, '--store', url);
    expect(code).toBe(0);
    expect(out).toContain(`portfolio bt in ${url}`);
    // The bars' span belongs to this run's slices, not to "in all": on a resumed run it would read as the log's.
    expect(out).toMatch(/^slices {4}80 this run \(2023-01-02 … \d{4}-\d{2}-\d{2}\), 80 in all, \d+ events$/m);
    const resumed = await cli('backtest', '--config', configPath, '--bars', bars, '--store', url);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/^slices {4}0 this run, 80 in all \(last bar \d{4}-\d{2}-\d{2}\), \d+ events$/m);
    expect(out).toMatch(/^value {5}\d+\.\d{2} from 250000\.00/m);
    expect(out).toMatch(/^strategy\s+kind\s+state\s+value\s+weight\s+return\s+avg cash$/m);
    expect(out).toMatch(/^bh\s+buy-and-hold\s+running/m);
    expect(out).toMatch(/^tf\s+trend-following\s+running/m);
  });

  it('a resumed run that adds slices gives the range of its own bars beside them', async () => {
    const url = `sqlite:${join(scratch, 'bt-text-resumed.db')}`;
    const lines = readFileSync(bars, 'utf8').split('\n');
    const times = [...new Set(lines.slice(1).filter((l) => l !== '').map((l) => l.split(',')[0] as string))];
    const first = join(scratch, 'bt-text-first.csv');
    writeFileSync(first, lines.filter((l, i) => i === 0 || (l !== '' && (l.split(',')[0] as string) < (times[50] as string))).join('\n'));
    expect((await cli('backtest', '--config', configPath, '--bars', first, '--store', url)).code).toBe(0);
    const day = (t: string | undefined): string => new Date(t ?? '').toISOString().slice(0, 10);
    const rest = await cli('backtest', '--config', configPath, '--bars', bars, '--store', url);
    expect(rest.code).toBe(0);
    expect(rest.out).toContain(`slices    30 this run (${day(times[50])} … ${day(times[79])}), 80 in all, `);
  });

  it('resuming with a corrected bar file is refused, naming the first recorded bar that differs, and appends nothing', async () => {
    const url = `sqlite:${join(scratch, 'corrected.db')}`;
    expect((await cli('backtest', '--config', configPath, '--bars', bars, '--store', url, '--json')).code).toBe(0);
    const before = await eventCount(url);
    const lines = readFileSync(bars, 'utf8').split('\n');
    const cells = (lines[21] as string).split(',');
    expect(cells[4]).not.toBe(cells[5]);
    cells[5] = cells[4] as string; // one close of one bar corrected (to its low, so the bar stays valid)
    lines[21] = cells.join(',');
    const corrected = join(scratch, 'corrected.csv');
    writeFileSync(corrected, lines.join('\n'));
    const { code, out, err } = await cli('backtest', '--config', configPath, '--bars', corrected, '--store', url, '--json');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`the bar at ${cells[0]}`);
    expect(err).toContain(`${cells[1]} closes at ${cells[5]} in the source`);
    expect(await eventCount(url)).toBe(before);
  });

  it('resuming with a bar file that lost a slice the log recorded is refused, naming that slice; a file of the later bars resumes', async () => {
    const url = `sqlite:${join(scratch, 'lost-slice.db')}`;
    const lines = readFileSync(bars, 'utf8').split('\n');
    const header = lines[0] as string;
    const rows = lines.slice(1).filter((l) => l !== '');
    const times = [...new Set(rows.map((l) => l.split(',')[0] as string))];
    const lost = times[10] as string;
    const early = join(scratch, 'lost-slice-first.csv');
    writeFileSync(early, [header, ...rows.filter((l) => (l.split(',')[0] as string) <= (times[40] as string))].join('\n'));
    expect((await cli('backtest', '--config', configPath, '--bars', early, '--store', url, '--json')).code).toBe(0);
    const before = await eventCount(url);
    const withoutOne = join(scratch, 'lost-slice.csv');
    writeFileSync(withoutOne, [header, ...rows.filter((l) => !l.startsWith(`${lost},`))].join('\n'));
    const { code, out, err } = await cli('backtest', '--config', configPath, '--bars', withoutOne, '--store', url, '--json');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`the log recorded a slice at ${new Date(lost).toISOString()} that the source does not have`);
    expect(await eventCount(url)).toBe(before);
    // A file that starts later than the log (the newest bars only, overlapping its end) is a normal resume.
    const later = join(scratch, 'lost-slice-later.csv');
    writeFileSync(later, [header, ...rows.filter((l) => (l.split(',')[0] as string) >= (times[30] as string))].join('\n'));
    const resumed = await cli('backtest', '--config', configPath, '--bars', later, '--store', url, '--json');
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.out) as RunSummaryJson).slicesThisRun).toBe(times.length - 41);
  });

  it('a bad row (negative price on line 7) exits 2 with one line naming file, line and column, and appends nothing', async () => {
    const lines = readFileSync(bars, 'utf8').split('\n');
    const cells = (lines[6] as string).split(',');
    cells[5] = '-12.5'; // close
    lines[6] = cells.join(',');
    const badBars = join(scratch, 'bad.csv');
    writeFileSync(badBars, lines.join('\n'));
    const url = `sqlite:${join(scratch, 'bad.db')}`;
    const { code, out, err } = await cli('backtest', '--config', configPath, '--bars', badBars, '--store', url, '--json');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toContain(badBars);
    expect(err).toBe(`stratafolio: ${badBars}, line 7, column close: close -12.5 is not a positive price\n`);
    const store = await openEventStore(url);
    expect(await store.streamRevision(portfolioStream('bt'))).toBe('no_stream');
    expect(await store.listStreams()).toEqual([]);
    expect((await readAllEvents(store)).length).toBe(0);
    await store.close();
  });

  it('a config missing a field exits 2 naming the file and the field', async () => {
    const { capital: _dropped, ...missing } = config;
    const path = writeConfig('missing.json', missing);
    const { code, err } = await cli('backtest', '--config', path, '--bars', bars, '--store', 'memory:');
    expect(code).toBe(2);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toContain(`${path}: capital`);
  });

  it('a different config for an existing portfolio exits 2 and leaves the store as it was', async () => {
    const url = `sqlite:${join(scratch, 'changed.db')}`;
    expect((await cli('backtest', '--config', configPath, '--bars', bars, '--store', url, '--json')).code).toBe(0);
    const before = await eventCount(url);
    const changed = writeConfig('changed.json', { ...config, capital: '300000' });
    const { code, err } = await cli('backtest', '--config', changed, '--bars', bars, '--store', url, '--json');
    expect(code).toBe(2);
    expect(err).toMatch(/different configuration/);
    // The refusal names the field that differs, with the recorded value and the new one.
    expect(err).toContain('capital: "250000" → "300000"');
    expect(await eventCount(url)).toBe(before);
  });

  it('a bar file that does not exist, a store URL of an unknown kind, and a missing required flag each exit 2 with one line', async () => {
    const missing = join(scratch, 'no-such-bars.csv');
    const cases = [
      { args: ['backtest', '--config', configPath, '--bars', missing, '--store', 'memory:'], says: /no-such-bars\.csv/ },
      { args: ['backtest', '--config', configPath, '--bars', bars, '--store', 'mongodb://x'], says: /mongodb:\/\/x/ },
      { args: ['backtest', '--bars', bars], says: /--config/ },
    ];
    for (const c of cases) {
      const { code, err } = await cli(...c.args);
      expect(code).toBe(2);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(err).toMatch(c.says);
    }
  });

  it('an unknown --format exits 2 naming it', async () => {
    const { code, err } = await cli('backtest', '--config', configPath, '--bars', bars, '--format', 'xml', '--store', 'memory:');
    expect(code).toBe(2);
    expect(err).toMatch(/--format must be one of long, wide, ndjson, got "xml"/);
  });
});

describe('stratafolio demo', () => {
  it('--json prints a summary whose values are those the ledger refold of the stored log gives', async () => {
    const url = `sqlite:${join(scratch, 'demo.db')}`;
    const { code, out, err } = await cli('demo', '--store', url, '--slices', '60', '--json');
    expect(err).toBe('');
    expect(code).toBe(0);
    const s = JSON.parse(out) as RunSummaryJson;
    expect(s).toMatchObject({ portfolioId: 'demo', slicesThisRun: 60, slices: 60, totalCapital: '1000000' });
    expect(s.strategies.map((x) => x.id)).toEqual(['buy-hold', 'mean-rev', 'momentum', 'trend']);
    await expectSummaryFromLedgerRefold(url, s);
    expect(s.events).toBe(await eventCount(url));
  });

  it('--slices must be a positive integer', async () => {
    const { code, err } = await cli('demo', '--store', 'memory:', '--slices', 'ten');
    expect(code).toBe(2);
    expect(err).toMatch(/--slices must be a positive integer, got "ten"/);
  });

  it('--seed outside the synthetic market\'s 32-bit seeds exits 2 naming the flag, before a store is made', async () => {
    for (const seed of ['-1', '4294967296', '1.5']) {
      const path = join(scratch, `demo-seed${seed}.db`);
      const { code, err } = await cli('demo', '--store', `sqlite:${path}`, '--seed', seed);
      expect(code).toBe(2);
      expect(err).toBe(`stratafolio: --seed must be an integer from 0 to 4294967295, got "${seed}"\n`);
      expect(existsSync(path)).toBe(false);
    }
  });

  it('on a store holding the demo of another market (seed or length), it is refused, not resumed', async () => {
    const url = `sqlite:${join(scratch, 'demo-seeds.db')}`;
    expect((await cli('demo', '--store', url, '--slices', '30', '--json')).code).toBe(0);
    const other = await cli('demo', '--store', url, '--slices', '30', '--seed', '7', '--json');
    expect(other.code).not.toBe(0);
    expect(other.err).toMatch(/already exists .* with a different configuration/);
    // The recorded and the asked-for market are both shown, however long the demo's name.
    expect(other.err).toMatch(/name: ".*seed 42, 30 slices\)" → ".*seed 7, 30 slices\)"/);
    const longer = await cli('demo', '--store', url, '--slices', '40', '--json');
    expect(longer.code).not.toBe(0);
    expect(longer.err).toMatch(/different configuration/);
    const same = await cli('demo', '--store', url, '--slices', '30', '--json');
    expect(same.code).toBe(0);
    expect((JSON.parse(same.out) as RunSummaryJson).slicesThisRun).toBe(0);
  });

  it('examples/demo-portfolio.json is the demo config', () => {
    const fromFile = parsePortfolioConfig(JSON.parse(readFileSync(join(repoRoot, 'examples', 'demo-portfolio.json'), 'utf8')) as unknown);
    expect(fromFile).toEqual(parsePortfolioConfig(DEMO_CONFIG_INPUT));
    expect(fromFile).toEqual(demoConfig());
  });
});

describe('human output', () => {
  it('fits an 80-column terminal: demo, replay, audit list, one rebalance and the verification', async () => {
    const url = `sqlite:${join(scratch, 'eighty.db')}`;
    const outputs = [
      await runCli('demo', '--store', url, '--slices', '90'),
      await runCli('replay', '--store', url),
      await runCli('replay', '--store', url, '--as-of', '2021-03-15'),
      await runCli('audit', '--store', url),
      await runCli('audit', '--store', url, '--rebalance', 'r1'),
      await runCli('audit', '--store', url, '--verify'),
    ];
    for (const o of outputs) {
      expect(o.code).toBe(0);
      const lines = o.out.split('\n');
      expect(lines.length).toBeGreaterThan(3);
      // Only a line that repeats the user's own store URL may be longer.
      expect(lines.filter((l) => l.length > 80 && !l.includes(url))).toEqual([]);
    }
    expect(outputs[4]?.out).toContain('rebalance r1');
  });
});
