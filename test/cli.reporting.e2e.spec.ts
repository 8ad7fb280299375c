// What backtest, demo, replay and audit report beyond values: the portfolio's own statistics at a chosen risk-free
// rate, faults and pauses with their strategy, time and reason, incident counts and events, and required flags.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummaryJson } from '../src/cli/runSummary.js';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runCli as cli } from './fixtures/cliRun.js';
import { writeJsonFile } from './fixtures/jsonFile.js';
import { openEventStore } from '../events/openEventStore.js';
import { readAllEvents } from './fixtures/engine/engineFixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-reporting-'));
const repoRoot = join(import.meta.dirname, '..');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const bars = join(scratch, 'bars.csv');
const faulty = {
  id: 'faulty',
  name: 'a strategy that throws',
  capital: '100000',
  strategies: [
    { id: 'bh', kind: 'buy-and-hold', allocation: '0.5' },
    { id: 'oops', module: join(repoRoot, 'test', 'fixtures', 'strategies', 'throwsOnBar.mjs'), export: 'throwsOnBar', params: { bar: 5 }, allocation: '0.3' },
  ],
  riskFree: 0.03,
  lookback: 30,
};

const writeConfig = (name: string, value: unknown): string => writeJsonFile(scratch, name, value);

interface ReplayJson {
  readonly summary: { readonly metrics: { readonly sharpeRatio: number; readonly annualVolatility: number; readonly maxDrawdown: number } };
  readonly conventions: { readonly annualRiskFree: number; readonly riskFree: number };
  readonly faults: readonly { strategyId: string; barTime: string; message: string }[];
  readonly paused: readonly { strategyId: string; since: string; reason: string }[];
}

beforeAll(async () => {
  await writeLongCsv(bars, syntheticSlices({ seed: 5, symbols: 4, bars: 60, start: '2023-01-02' }));
});

describe('the portfolio statistics users expect', () => {
  it("demo prints the portfolio's own Sharpe, volatility, max drawdown and return, the same as replay, apart from the strategies' capital-weighted Sharpe", async () => {
    const url = `sqlite:${join(scratch, 'demo.db')}`;
    const json = await cli('demo', '--store', url, '--slices', '150', '--json');
    expect(json.code).toBe(0);
    const s = (JSON.parse(json.out) as RunSummaryJson).statistics;
    const replay = JSON.parse((await cli('replay', '--store', url, '--json')).out) as ReplayJson;
    expect(s.portfolio.sharpeRatio).toBeCloseTo(replay.summary.metrics.sharpeRatio, 12);
    expect(s.portfolio.annualVolatility).toBeCloseTo(replay.summary.metrics.annualVolatility, 12);
    expect(s.portfolio.maxDrawdown).toBeCloseTo(replay.summary.metrics.maxDrawdown, 12);
    expect(s.capitalWeightedStrategySharpe).not.toBeCloseTo(s.portfolio.sharpeRatio ?? 0, 3);

    const text = await cli('demo', '--store', url, '--slices', '150');
    const replayText = await cli('replay', '--store', url);
    const p = s.portfolio;
    const pct = (x: number | null): string => `${((x ?? Number.NaN) * 100).toFixed(2)}%`;
    for (const out of [text.out, replayText.out]) {
      expect(out).toContain(`return    ${pct(p.totalReturn)} total, ${pct(p.annualReturn)} a year; volatility ${pct(p.annualVolatility)} a year`);
      expect(out).toContain(`risk      Sharpe ${(p.sharpeRatio ?? Number.NaN).toFixed(2)} (risk-free 0.00% a year), max drawdown ${pct(p.maxDrawdown)}`);
      expect(out).toContain(`strategies' Sharpe, capital-weighted: ${(s.capitalWeightedStrategySharpe ?? Number.NaN).toFixed(2)}`);
      // Only lines that quote the store URL (the 'next:' hints) may run past 80 columns.
      expect(out.split('\n').filter((l) => l.length > 80 && !l.includes(url))).toEqual([]);
    }
  });

  it('--risk-free is an annual rate compounded per bar; it lowers the Sharpe exactly as the per-bar excess return says', async () => {
    const url = `sqlite:${join(scratch, 'demo-rf.db')}`;
    const zero = (JSON.parse((await cli('demo', '--store', url, '--slices', '150', '--json')).out) as RunSummaryJson).statistics;
    const rf = (JSON.parse((await cli('demo', '--store', url, '--slices', '150', '--json', '--risk-free', '0.05')).out) as RunSummaryJson).statistics;
    expect(rf.riskFree.annual).toBe(0.05);
    expect((1 + rf.riskFree.perBar) ** 252).toBeCloseTo(1.05, 12);
    // Sharpe = (mean − rf) / std × √252, so the drop is rf / std × √252 = rf × 252 / annual volatility.
    const vol = zero.portfolio.annualVolatility ?? Number.NaN;
    expect((zero.portfolio.sharpeRatio ?? 0) - (rf.portfolio.sharpeRatio ?? 0)).toBeCloseTo((rf.riskFree.perBar * 252) / vol, 10);
    const text = await cli('replay', '--store', url, '--risk-free', '0.05');
    expect(text.out).toContain(`Sharpe ${(rf.portfolio.sharpeRatio ?? 0).toFixed(2)} (risk-free 5.00% a year)`);
    // The Sortino column beside the Sharpe one is not of the excess over that rate: the footnote says which figures are.
    expect(text.out).toContain('risk-free 5.00% a year\nSharpe and omega over the risk-free rate; Sortino and downside risk below 0\n');
    expect(text.out.split('\n').filter((l) => l.length > 80)).toEqual([]);
  });

  it('a bad --risk-free exits 2 naming the flag', async () => {
    for (const bad of ['abc', '1', '-1', '']) {
      const { code, err } = await cli('demo', '--store', 'memory:', '--slices', '5', '--risk-free', bad);
      expect(code).toBe(2);
      expect(err).toMatch(/--risk-free must be an annual rate/);
    }
  });
});

describe('faults and pauses are never silent', () => {
  const url = `sqlite:${join(scratch, 'faulty.db')}`;
  let summary: RunSummaryJson;
  let text: string;

  beforeAll(async () => {
    const config = writeConfig('faulty.json', faulty);
    const run = await cli('backtest', '--config', config, '--bars', bars, '--store', url, '--json');
    expect(run.code).toBe(0);
    summary = JSON.parse(run.out) as RunSummaryJson;
    // Run again on a fresh store for the text form (the same config, so the same fault at the same bar).
    const again = await cli('backtest', '--config', config, '--bars', bars, '--store', `sqlite:${join(scratch, 'faulty-text.db')}`);
    expect(again.code).toBe(0);
    text = again.out;
  });

  it("the run's summary names the strategy, the bar time and the message of the fault, and the pause with its reason and since when", () => {
    expect(summary.statistics.faults).toHaveLength(1);
    const fault = summary.statistics.faults[0];
    expect(fault).toMatchObject({ kind: 'fault', strategyId: 'oops' });
    expect(fault?.message).toContain('boom on bar 5');
    expect(fault?.barTime).toMatch(/^2023-01-0[89]|^2023-01-1/);
    expect(summary.statistics.paused).toEqual([{ strategyId: 'oops', since: fault?.barTime, reason: expect.stringContaining('boom on bar 5') as unknown }]);
    expect(summary.strategies.find((st) => st.id === 'oops')?.state).toBe('paused');
    expect(text).toContain(`faults 1\n  oops at ${fault?.barTime}: onBar: Error: boom on bar 5`);
    expect(text).toContain(`paused 1\n  oops since ${fault?.barTime}: fault: Error: boom on bar 5`);
  });

  it("the config's riskFree is recorded and used by the summary and by replay; --risk-free wins over it", async () => {
    expect(summary.statistics.riskFree.annual).toBe(0.03);
    const recorded = JSON.parse((await cli('replay', '--store', url, '--json')).out) as ReplayJson;
    expect(recorded.conventions.annualRiskFree).toBe(0.03);
    expect(recorded.summary.metrics.sharpeRatio).toBeCloseTo(summary.statistics.portfolio.sharpeRatio ?? Number.NaN, 12);
    const flag = JSON.parse((await cli('replay', '--store', url, '--json', '--risk-free', '0')).out) as ReplayJson;
    expect(flag.conventions.annualRiskFree).toBe(0);
    expect(flag.summary.metrics.sharpeRatio).toBeGreaterThan(recorded.summary.metrics.sharpeRatio);
  });

  it('replay shows the fault and the pause, in text and JSON', async () => {
    const fault = summary.statistics.faults[0];
    const json = JSON.parse((await cli('replay', '--store', url, '--json')).out) as ReplayJson;
    expect(json.faults).toEqual([expect.objectContaining({ strategyId: 'oops', barTime: fault?.barTime, message: fault?.message })]);
    expect(json.paused).toEqual([expect.objectContaining({ strategyId: 'oops', since: fault?.barTime })]);
    const out = (await cli('replay', '--store', url)).out;
    expect(out).toContain(`faults 1\n  oops at ${fault?.barTime}: onBar: Error: boom on bar 5`);
    expect(out).toMatch(new RegExp(`paused 1\\n  oops since ${fault?.barTime ?? ''}: fault:`));
  });

  it('audit counts every incident by default and lists the events of the kinds asked for', async () => {
    const fault = summary.statistics.faults[0];
    const counts = await cli('audit', '--store', url);
    expect(counts.code).toBe(0);
    expect(counts.out).toMatch(/incidents 2: 1 fault, 1 pause, 0 resumes, 0 liquidations, 0 removals,\n\s+0 rejections/);
    expect(counts.out).toMatch(/oops\s+1\s+1\s+0\s+0\s+0\s+0/);
    expect(counts.out).toMatch(new RegExp(`paused now 1\\n  oops since ${fault?.barTime ?? ''}: fault:`));
    expect(counts.out).not.toMatch(/ fault oops: /);

    const listed = await cli('audit', '--store', url, '--events', 'faults,pauses');
    expect(listed.out).toMatch(/events: faults, pauses \(2\)/);
    expect(listed.out).toMatch(/ fault oops: onBar: Error: boom on bar 5/);
    expect(listed.out).toMatch(/ pause oops: fault:/);

    const json = JSON.parse((await cli('audit', '--store', url, '--events', 'all', '--json')).out) as {
      incidents: { counts: Record<string, number>; events: { kind: string; strategyId: string }[]; faults: unknown[] };
    };
    expect(json.incidents.counts).toEqual({ fault: 1, pause: 1, resume: 0, liquidation: 0, removal: 0, rejection: 0 });
    expect(json.incidents.events.map((e) => `${e.kind}:${e.strategyId}`)).toEqual(['fault:oops', 'pause:oops']);

    const bad = await cli('audit', '--store', url, '--events', 'faults,typos');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--events: unknown kind "typos"/);
  });

  it('audit --events rejections lists each rejected order the counts add up to', async () => {
    const demoUrl = `sqlite:${join(scratch, 'demo-rejections.db')}`;
    expect((await cli('demo', '--store', demoUrl, '--json')).code).toBe(0);
    const json = JSON.parse((await cli('audit', '--store', demoUrl, '--events', 'rejections', '--json')).out) as {
      incidents: { counts: { rejection: number }; events: { kind: string; message: string }[] };
    };
    expect(json.incidents.counts.rejection).toBeGreaterThan(0);
    expect(json.incidents.events).toHaveLength(json.incidents.counts.rejection);
    expect(json.incidents.events.every((e) => e.kind === 'rejection' && e.message.length > 0)).toBe(true);
  });
});

describe('a drawdown pause says since when and why', () => {
  it('in the summary, in replay and in audit, at the bar and with the reason the log records', async () => {
    const url = `sqlite:${join(scratch, 'drawdown.db')}`;
    const config = writeConfig('drawdown.json', {
      id: 'dd',
      name: 'drawdown',
      capital: '100000',
      strategies: [
        { id: 'bh', kind: 'buy-and-hold', allocation: '0.5' },
        { id: 'tf', kind: 'trend-following', allocation: '0.4', params: { fast: 3, slow: 8 } },
      ],
      risk: { maxDrawdown: 0.01, drawdownAction: 'pause' },
      lookback: 30,
    });
    const run = await cli('backtest', '--config', config, '--bars', bars, '--store', url, '--json');
    expect(run.code).toBe(0);
    const store = await openEventStore(url);
    const pauses = (await readAllEvents(store)).flatMap((e) =>
      e.type === 'StrategyLifecycleChanged' && e.data.to === 'paused' ? [{ strategyId: e.data.strategyId, since: e.metadata.barTime, reason: e.data.reason }] : [],
    );
    await store.close();
    expect(pauses.length).toBeGreaterThan(0);
    expect(pauses.every((p) => p.reason.includes('drawdown'))).toBe(true);
    expect((JSON.parse(run.out) as RunSummaryJson).statistics.paused).toEqual(pauses.sort((a, b) => (a.strategyId < b.strategyId ? -1 : 1)));
    const replay = JSON.parse((await cli('replay', '--store', url, '--json')).out) as ReplayJson;
    expect(replay.paused).toEqual(pauses);
    const audit = (await cli('audit', '--store', url)).out;
    for (const p of pauses) expect(audit).toContain(`  ${p.strategyId} since ${p.since ?? ''}: ${p.reason.split(' ').slice(0, 3).join(' ')}`);
  });
});

describe('--help marks the flags a command cannot run without', () => {
  it.each([
    ['replay', ['--store']],
    ['audit', ['--store']],
    ['backtest', ['--config', '--bars']],
    ['allocate', ['--candidates', '--capital']],
  ])('%s', async (command, required) => {
    const { out } = await cli(command, '--help');
    const lines = out.split('\n');
    for (const flag of required) expect(lines.find((l) => l.trimStart().startsWith(`${flag} `))).toMatch(/\(required\)$/);
    const optional = lines.filter((l) => /^\s+--/.test(l) && !required.some((f) => l.trimStart().startsWith(`${f} `)));
    expect(optional.length).toBeGreaterThan(0);
    for (const l of optional) expect(l).not.toMatch(/\(required\)/);
  });
});
