// What the report says about strategies that stopped trading: each fault, each liquidation (a drawdown limit, a fault
// policy) and each strategy paused now, with its strategy, bar and reason — the entries `replay --json` lists.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { escapeHtml } from '../projections/report/reportHtml.js';
import { spawnCli } from './fixtures/reportFixture.js';
import { writeJsonFile } from './fixtures/jsonFile.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-report-incidents-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const repoRoot = join(import.meta.dirname, '..');

interface Entry {
  readonly strategyId: string;
  readonly barTime: string;
  readonly message: string;
}
interface Paused {
  readonly strategyId: string;
  readonly since: string;
  readonly reason: string;
}

/** The rows of the report's incidents table: kind, strategy, bar (exact) and message, as written. */
function incidentRows(html: string): { kind: string; strategyId: string; barTime: string; message: string }[] {
  return [...html.matchAll(/<tr data-incident="([^"]+)" data-strategy="([^"]+)" data-bar="([^"]*)">(.*?)<\/tr>/g)].map((m) => ({
    kind: m[1] as string,
    strategyId: m[2] as string,
    barTime: m[3] as string,
    message: /<td class="message">(.*?)<\/td>/.exec(m[4] as string)?.[1] ?? '',
  }));
}

describe('report: faults, liquidations and pauses', () => {
  const store = `sqlite:${join(scratch, 'incidents.db')}`;
  let html = '';
  let replay: { faults: Entry[]; liquidations: Entry[]; paused: Paused[] };

  beforeAll(async () => {
    const bars = join(scratch, 'bars.csv');
    await writeLongCsv(bars, syntheticSlices({ seed: 5, symbols: 4, bars: 120, start: '2023-01-02' }));
    const config = writeJsonFile(scratch, 'config.json', {
      id: 'incidents',
      name: 'strategies that stop',
      capital: '100000',
      strategies: [
        { id: 'hold', kind: 'buy-and-hold', allocation: '0.3' },
        { id: 'trend', kind: 'trend-following', allocation: '0.3', params: { fast: 3, slow: 8 } },
        { id: 'oops', module: join(repoRoot, 'test', 'fixtures', 'strategies', 'throwsOnBar.mjs'), export: 'throwsOnBar', params: { bar: 5 }, allocation: '0.2' },
      ],
      // A tight drawdown limit that sells a strategy out, and a fault that pauses its strategy.
      risk: { maxDrawdown: 0.02, drawdownAction: 'liquidate', faultPolicy: 'pause' },
      lookback: 30,
    });
    expect((await spawnCli('backtest', '--config', config, '--bars', bars, '--store', store, '--json')).code).toBe(0);
    const out = join(scratch, 'report.html');
    expect((await spawnCli('report', '--store', store, '--out', out)).code).toBe(0);
    html = readFileSync(out, 'utf8');
    replay = JSON.parse((await spawnCli('replay', '--store', store, '--json')).out) as typeof replay;
  });

  it('lists every fault and liquidation replay --json gives, with its strategy, bar and reason, and each paused strategy since when', () => {
    expect(replay.faults.length).toBeGreaterThan(0);
    expect(replay.liquidations.length).toBeGreaterThan(0);
    expect(replay.paused.length).toBeGreaterThan(0);
    const expected = [
      ...replay.faults.map((f) => ({ kind: 'fault', strategyId: f.strategyId, barTime: f.barTime, message: escapeHtml(f.message) })),
      ...replay.liquidations.map((l) => ({ kind: 'liquidation', strategyId: l.strategyId, barTime: l.barTime, message: escapeHtml(l.message) })),
      ...replay.paused.map((p) => ({ kind: 'paused', strategyId: p.strategyId, barTime: p.since, message: escapeHtml(p.reason) })),
    ];
    expect(incidentRows(html)).toEqual(expect.arrayContaining(expected));
    expect(incidentRows(html)).toHaveLength(expected.length);
    // Bars are shown as days, as everywhere else in the report.
    expect(html.match(/<td[^>]*>\d{4}-\d\d-\d\dT00:00:00\.000Z/g) ?? []).toEqual([]);
  });

  it('a portfolio none of whose strategies stopped says so', async () => {
    const clean = `sqlite:${join(scratch, 'clean.db')}`;
    expect((await spawnCli('demo', '--store', clean, '--slices', '60', '--json')).code).toBe(0);
    const out = join(scratch, 'clean.html');
    expect((await spawnCli('report', '--store', clean, '--out', out)).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(incidentRows(text)).toEqual([]);
    expect(/<h2>Faults, liquidations and pauses<\/h2>(<div class="scroll">)?<p class="muted">No fault, liquidation or pause\.<\/p>/.test(text), 'the section says there is none').toBe(true);
  });
});
