// Bars a year: the factor every yearly figure is annualised with. Daily stock bars come 252 a year, but minute or crypto
// bars do not, and a report that annualises them as daily understates volatility and Sharpe many times over. A config's
// barsPerYear (recorded with it) or --bars-per-year states the factor; bars far from it are warned about.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummaryJson } from '../src/cli/runSummary.js';
import type { BarSlice } from '../src/market/bar.js';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runCli as cli } from './fixtures/cliRun.js';
import { writeJsonFile } from './fixtures/jsonFile.js';
import { openEventStore } from '../events/openEventStore.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-bars-per-year-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MINUTES_A_YEAR = 525_600;
const minuteBars = join(scratch, 'minutes.csv');
const dailyBars = join(scratch, 'daily.csv');

/** The same prices one minute apart, round the clock, as a crypto feed delivers them. */
function everyMinute(slices: Iterable<BarSlice>): BarSlice[] {
  // From 23:00, so the daily rebalance falls at midnight, an hour in.
  const t0 = Date.parse('2024-03-01T23:00:00.000Z');
  return [...slices].map((s, i) => ({ ...s, time: new Date(t0 + i * 60_000).toISOString() }));
}

const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'minutes',
  name: 'minute bars',
  capital: '100000',
  strategies: [
    { id: 'bh', kind: 'buy-and-hold', allocation: '0.45' },
    { id: 'mom', kind: 'momentum', allocation: '0.45', params: { lookback: 10, topN: 2, rebalanceEvery: 5 } },
  ],
  rebalancing: { algorithm: 'risk-parity', frequency: 'daily' },
  lookback: 40,
  ...extra,
});

const writeConfig = (name: string, value: unknown): string => writeJsonFile(scratch, name, value);

interface ReplayJson {
  readonly summary: { readonly metrics: { readonly sharpeRatio: number; readonly annualVolatility: number; readonly annualReturn: number } };
  readonly conventions: { readonly annualization: number; readonly annualRiskFree: number; readonly riskFree: number };
}

async function replayJson(url: string, ...flags: string[]): Promise<ReplayJson> {
  const r = await cli('replay', '--store', url, '--json', ...flags);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as ReplayJson;
}

beforeAll(async () => {
  const slices = [...syntheticSlices({ seed: 21, symbols: 4, bars: 120, start: '2023-01-02' })];
  await writeLongCsv(dailyBars, slices);
  await writeLongCsv(minuteBars, everyMinute(slices));
});

describe('bars a year', () => {
  it('a backtest of minute bars warns that its yearly figures assume 252 bars a year, and names the flag and the figure to give', async () => {
    const r = await cli('backtest', '--config', writeConfig('plain.json', config()), '--bars', minuteBars, '--store', `sqlite:${join(scratch, 'plain.db')}`, '--json');
    expect(r.code, r.err).toBe(0);
    const warnings = r.err.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${minuteBars}: its 120 slices come about 530000 a year`);
    expect(warnings[0]).toContain('assume 252 bars a year');
    expect(warnings[0]).toContain('give --bars-per-year (or barsPerYear in the config)');
    expect(warnings[0]).toContain(`(e.g. ${MINUTES_A_YEAR})`);
    // The daily file says nothing.
    const daily = await cli('backtest', '--config', writeConfig('daily.json', config()), '--bars', dailyBars, '--store', `sqlite:${join(scratch, 'daily.db')}`, '--json');
    expect(daily.code).toBe(0);
    expect(daily.err).toBe('');
  });

  it('--bars-per-year states the summary in that factor: volatility and Sharpe grow by the square root of its ratio to 252, and the warning goes', async () => {
    const plain = await cli('backtest', '--config', writeConfig('a.json', config()), '--bars', minuteBars, '--store', `sqlite:${join(scratch, 'a.db')}`, '--json');
    const flagged = await cli('backtest', '--config', writeConfig('b.json', config()), '--bars', minuteBars, '--store', `sqlite:${join(scratch, 'b.db')}`, '--json', '--bars-per-year', String(MINUTES_A_YEAR));
    expect(flagged.code, flagged.err).toBe(0);
    expect(flagged.err).toBe('');
    const a = (JSON.parse(plain.out) as RunSummaryJson).statistics;
    const b = (JSON.parse(flagged.out) as RunSummaryJson).statistics;
    expect(b.riskFree.annualization).toBe(MINUTES_A_YEAR);
    expect(a.riskFree.annualization).toBe(252);
    const scale = Math.sqrt(MINUTES_A_YEAR / 252);
    expect(b.portfolio.annualVolatility).toBeCloseTo((a.portfolio.annualVolatility ?? Number.NaN) * scale, 9);
    expect(b.portfolio.sharpeRatio).toBeCloseTo((a.portfolio.sharpeRatio ?? Number.NaN) * scale, 9);
    // The flag is a reporting convention: the run itself (its log) is the same.
    expect((JSON.parse(flagged.out) as RunSummaryJson).headHash).toBe((JSON.parse(plain.out) as RunSummaryJson).headHash);
    const text = await cli('backtest', '--config', writeConfig('c.json', config()), '--bars', minuteBars, '--store', `sqlite:${join(scratch, 'c.db')}`, '--bars-per-year', String(MINUTES_A_YEAR));
    expect(text.out).toContain(`a year is ${MINUTES_A_YEAR} bars (barsPerYear)`);
  });

  describe('a config that records barsPerYear', () => {
    const url = `sqlite:${join(scratch, 'recorded.db')}`;
    let summary: RunSummaryJson;
    beforeAll(async () => {
      const r = await cli('backtest', '--config', writeConfig('recorded.json', config({ barsPerYear: MINUTES_A_YEAR })), '--bars', minuteBars, '--store', url, '--json');
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      summary = JSON.parse(r.out) as RunSummaryJson;
    });

    it('is used by the summary and, from the log, by replay; --bars-per-year wins over it there', async () => {
      expect(summary.statistics.riskFree.annualization).toBe(MINUTES_A_YEAR);
      const recorded = await replayJson(url);
      expect(recorded.conventions.annualization).toBe(MINUTES_A_YEAR);
      expect(recorded.summary.metrics.annualVolatility).toBeCloseTo(summary.statistics.portfolio.annualVolatility ?? Number.NaN, 12);
      const daily = await replayJson(url, '--bars-per-year', '252');
      expect(daily.conventions.annualization).toBe(252);
      expect(recorded.summary.metrics.annualVolatility).toBeCloseTo(daily.summary.metrics.annualVolatility * Math.sqrt(MINUTES_A_YEAR / 252), 9);
      // The per-bar risk-free rate follows the factor: 5% a year compounds over 525,600 bars, not 252.
      const rf = await replayJson(url, '--risk-free', '0.05');
      expect(rf.conventions.riskFree).toBeCloseTo(1.05 ** (1 / MINUTES_A_YEAR) - 1, 15);
    });

    it('replay warns when the factor it is given does not fit the bars, and not when it does', async () => {
      const fits = await cli('replay', '--store', url);
      expect(fits.code).toBe(0);
      expect(fits.err).toBe('');
      expect(fits.out).toContain(`×${MINUTES_A_YEAR} a year`);
      const wrong = await cli('replay', '--store', url, '--bars-per-year', '252');
      expect(wrong.code).toBe(0);
      expect(wrong.err).toContain('stratafolio: warning: the log of portfolio minutes: its 120 slices come about 530000 a year');
      expect(wrong.err).toContain('assume 252 bars a year');
    });

    it('the report states the factor and annualises with it', async () => {
      const out = join(scratch, 'recorded.html');
      const r = await cli('report', '--store', url, '--out', out);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(readFileSync(out, 'utf8')).toContain(`annualised ×${MINUTES_A_YEAR} (bars a year)`);
      const daily = await cli('report', '--store', url, '--out', join(scratch, 'daily.html'), '--bars-per-year', '252');
      expect(daily.code).toBe(0);
      expect(daily.err).toContain('assume 252 bars a year');
      expect(readFileSync(join(scratch, 'daily.html'), 'utf8')).toContain('annualised ×252 (bars a year)');
    });

    it('audit says what the decisions were annualised by: the recorded factor, or 252 for a config without one', async () => {
      const json = await cli('audit', '--store', url, '--json');
      expect(json.code, json.err).toBe(0);
      const parsed = JSON.parse(json.out) as { barsPerYear: number; rebalances: { rebalanceId: string }[] };
      expect(parsed.barsPerYear).toBe(MINUTES_A_YEAR);
      const first = parsed.rebalances[0]?.rebalanceId ?? expect.unreachable('a rebalance');
      const text = await cli('audit', '--store', url, '--rebalance', first);
      expect(text.out).toContain(`inputs (yearly figures annualised by ${MINUTES_A_YEAR} bars a year)`);
      const daily = await cli('audit', '--store', `sqlite:${join(scratch, 'a.db')}`, '--json');
      expect((JSON.parse(daily.out) as { barsPerYear: number }).barsPerYear).toBe(252);
    });

    it("the engine's allocation reads its statistics in that factor: the risk-parity inputs' volatility is √(525600/252) times a daily config's", async () => {
      const dailyUrl = `sqlite:${join(scratch, 'recorded-daily.db')}`;
      const r = await cli('backtest', '--config', writeConfig('recorded-daily.json', config()), '--bars', minuteBars, '--store', dailyUrl, '--json');
      expect(r.code).toBe(0);
      const inputs = async (u: string): Promise<Record<string, Record<string, unknown>>[]> => {
        const store = await openEventStore(u);
        try {
          return (await readAllEvents(store)).flatMap((e) => (e.type === 'RebalanceDecided' ? [e.data.inputs as Record<string, Record<string, unknown>>] : []));
        } finally {
          await store.close();
        }
      };
      const minute = await inputs(url);
      const daily = await inputs(dailyUrl);
      expect(minute.length).toBeGreaterThan(0);
      expect(minute.length).toBe(daily.length);
      let compared = 0;
      for (const [i, byStrategy] of minute.entries()) {
        for (const [id, stats] of Object.entries(byStrategy)) {
          const vol = stats['volatility'];
          const dailyVol = daily[i]?.[id]?.['volatility'];
          if (typeof vol !== 'number' || typeof dailyVol !== 'number' || dailyVol === 0) continue;
          expect(vol).toBeCloseTo(dailyVol * Math.sqrt(MINUTES_A_YEAR / 252), 9);
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  });

  it.each([
    ['0', 'a zero'],
    ['1.5', 'a fraction'],
    ['daily', 'a word'],
    ['99999999', 'more than one bar a second'],
  ])('--bars-per-year %s (%s) is refused with one line naming the flag, before anything is written', async (value) => {
    const db = join(scratch, `refused-${value}.db`);
    const r = await cli('backtest', '--config', writeConfig('refused.json', config()), '--bars', minuteBars, '--store', `sqlite:${db}`, '--bars-per-year', value);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(`--bars-per-year must be a whole number of bars from 1 to 31622400`);
    expect(r.err).toContain(`got "${value}"`);
    expect(existsSync(db)).toBe(false);
    const replay = await cli('replay', '--store', `sqlite:${join(scratch, 'a.db')}`, '--bars-per-year', value);
    expect(replay.code).toBe(2);
    expect(replay.err).toContain('--bars-per-year must be a whole number');
  });

  it.each([
    [0, 'must be at least 1'],
    [1.5, 'must be a whole number of bars'],
    [40_000_000, 'must be at most 31622400'],
  ])('a config with barsPerYear %s is refused naming the field', async (value, message) => {
    const r = await cli('backtest', '--config', writeConfig('bad-config.json', config({ barsPerYear: value })), '--bars', minuteBars, '--store', `sqlite:${join(scratch, 'bad-config.db')}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain('barsPerYear');
    expect(r.err).toContain(message);
    expect(existsSync(join(scratch, 'bad-config.db'))).toBe(false);
  });
});
