import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { demoMarket } from '../src/cli/demoPortfolio.js';
import { BIN, dataValue, replayFigures, spawnCli } from './fixtures/reportFixture.js';

/** The per-bar metrics `replay --json` gives for the portfolio (summary.metrics) and for each strategy. */
const REPLAY_METRICS = [
  'totalReturn',
  'annualReturn',
  'annualVolatility',
  'sharpeRatio',
  'sortinoRatio',
  'downsideRisk',
  'maxDrawdown',
  'currentDrawdown',
  'calmarRatio',
  'omegaRatio',
  'winRate',
  'profitFactor',
] as const;

type ReplayMetrics = Readonly<Record<(typeof REPLAY_METRICS)[number], number | null>>;
interface ReplayJson {
  readonly conventions: { readonly annualRiskFree: number };
  readonly summary: { readonly metrics: ReplayMetrics };
  readonly strategies: readonly (ReplayMetrics & { readonly strategyId: string; readonly averageCashFraction: number | null })[];
}

/** Every metric `replay --json` prints, next to the exact value the report's cell carries (null when not finite). */
async function replayAgainstReport(store: string, html: string, ...extra: string[]): Promise<{ metric: string; replay: string; report: string | undefined }[]> {
  const r = await spawnCli('replay', '--store', store, '--json', ...extra);
  expect(r.code, r.err).toBe(0);
  const j = JSON.parse(r.out) as ReplayJson;
  const pairs: { metric: string; replay: string; report: string | undefined }[] = [];
  const add = (metric: string, value: number | null): void => {
    pairs.push({ metric, replay: String(value), report: dataValue(html, 'data-metric', metric) });
  };
  for (const k of REPLAY_METRICS) add(`portfolio:${k}`, j.summary.metrics[k]);
  for (const st of j.strategies) {
    for (const k of REPLAY_METRICS) add(`${st.strategyId}:${k}`, st[k]);
    add(`${st.strategyId}:averageCashFraction`, st.averageCashFraction);
  }
  return pairs;
}

const differing = (pairs: readonly { replay: string; report: string | undefined }[]) => pairs.filter((p) => p.replay !== p.report);

let dir = '';
let store = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratafolio-report-'));
  store = `sqlite:${join(dir, 'demo.db')}`;
  const demo = await spawnCli('demo', '--store', store, '--slices', '260', '--json');
  expect(demo.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stratafolio report', () => {
  it('writes one self-contained file: no script, no external resource, byte for byte the same on a second build', async () => {
    const a = join(dir, 'a.html');
    const b = join(dir, 'b.html');
    const first = await spawnCli('report', '--store', store, '--out', a);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/wrote .*a\.html \(\d+ KiB\): 260 bars, \d+ events, log verified/);
    expect((await spawnCli('report', '--store', store, '--out', b)).code).toBe(0);
    const html = readFileSync(a, 'utf8');
    expect(readFileSync(b, 'utf8')).toBe(html);
    expect(html.length).toBeLessThan(2 * 1024 * 1024);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(\s*['"]?https?:/i);
    for (const name of ['cumulative', 'equity', 'underwater', 'allocation', 'rolling', 'monthly', 'distribution', 'correlation']) {
      expect(html).toContain(`<figure data-chart="${name}">`);
    }
  });

  it('shows the portfolio value, return on capital and each strategy’s Sharpe that replay --json gives', async () => {
    const out = join(dir, 'figures.html');
    expect((await spawnCli('report', '--store', store, '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const replay = await replayFigures(store);
    expect(dataValue(html, 'data-field', 'portfolio-value')).toBe(replay.portfolioValue);
    expect(Number(dataValue(html, 'data-field', 'return-on-capital'))).toBe(replay.returnOnCapital);
    expect(replay.sharpe.size).toBe(4);
    for (const [id, sharpe] of replay.sharpe) expect(dataValue(html, 'data-metric', `${id}:sharpeRatio`)).toBe(String(sharpe));
  });

  it('shows every metric replay --json gives, for the portfolio and each strategy, at replay’s risk-free rate', async () => {
    const out = join(dir, 'all-metrics.html');
    expect((await spawnCli('report', '--store', store, '--out', out)).code).toBe(0);
    const pairs = await replayAgainstReport(store, readFileSync(out, 'utf8'));
    expect(pairs).toHaveLength(5 * REPLAY_METRICS.length + 4);
    expect(differing(pairs)).toEqual([]);
    const rf = join(dir, 'risk-free.html');
    expect((await spawnCli('report', '--store', store, '--risk-free', '0.05', '--out', rf)).code).toBe(0);
    const html = readFileSync(rf, 'utf8');
    expect(differing(await replayAgainstReport(store, html, '--risk-free', '0.05'))).toEqual([]);
    expect(dataValue(html, 'data-metric', 'portfolio:sharpeRatio')).not.toBe(dataValue(readFileSync(out, 'utf8'), 'data-metric', 'portfolio:sharpeRatio'));
    expect(html).toContain('risk-free 5.00% a year');
    // Sortino and downside risk sit beside Sharpe in one table; the note says the rate does not enter them.
    expect(html).toContain('Sortino and downside risk count the returns below 0, not below the risk-free rate');
    const bad = await spawnCli('report', '--store', store, '--risk-free', '2', '--out', join(dir, 'bad-rf.html'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--risk-free must be an annual rate/);
  });

  it("a risk-free rate recorded in the config is the one the report uses, as replay does", async () => {
    const bars = join(dir, 'bars-120.csv');
    await writeLongCsv(bars, [...syntheticSlices(demoMarket(120))]);
    const config = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'examples', 'demo-portfolio.json'), 'utf8')) as Record<string, unknown>;
    const configPath = join(dir, 'risk-free-config.json');
    writeFileSync(configPath, JSON.stringify({ ...config, riskFree: 0.04 }));
    const recorded = `sqlite:${join(dir, 'recorded-rf.db')}`;
    const run = await spawnCli('backtest', '--config', configPath, '--bars', bars, '--store', recorded, '--json');
    expect(run.code, run.err).toBe(0);
    const out = join(dir, 'recorded-rf.html');
    expect((await spawnCli('report', '--store', recorded, '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('risk-free 4.00% a year');
    expect(differing(await replayAgainstReport(recorded, html))).toEqual([]);
  });

  it('the rebalance timeline is audit --json’s: every rebalance, each expandable to its full recorded decision and transfers', async () => {
    const out = join(dir, 'timeline.html');
    expect((await spawnCli('report', '--store', store, '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const audit = await spawnCli('audit', '--store', store, '--json');
    expect(audit.code, audit.err).toBe(0);
    const rebalances = (JSON.parse(audit.out) as { rebalances: { rebalanceId: string; decision: unknown; transfers: unknown; netByAccount: unknown }[] }).rebalances;
    expect(rebalances.length).toBeGreaterThan(3);
    const unescape = (t: string): string => t.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const shown = [...html.matchAll(/<tr data-rebalance="([^"]+)">[\s\S]*?<details><summary>[^<]*<\/summary><pre>([^<]*)<\/pre><\/details>/g)].map((m) => ({
      rebalanceId: m[1],
      ...(JSON.parse(unescape(m[2] as string)) as object),
    }));
    expect(shown).toEqual(rebalances.map((r) => ({ rebalanceId: r.rebalanceId, decision: r.decision, transfers: r.transfers, netByAccount: r.netByAccount })));
  });

  it('as of a position shows what replay shows as of that position', async () => {
    const out = join(dir, 'asof.html');
    const r = await spawnCli('report', '--store', store, '--as-of', '900', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ portfolioId: 'demo', verified: true, asOf: { kind: 'position', position: 900 }, incompleteSlice: '2021-06-02T00:00:00.000Z' });
    const html = readFileSync(out, 'utf8');
    const replay = await replayFigures(store, '--as-of', '900');
    expect(dataValue(html, 'data-field', 'portfolio-value')).toBe(replay.portfolioValue);
    // Position 900 lies inside the slice of 2021-06-02: both fold to the end of the slice before it.
    expect(html).toContain('position 900, rounded down to the last complete slice (position 820; the slice of 2021-06-02T00:00:00.000Z is left out): 820 events');
  });

  it('with --benchmark compares against a recorded symbol held buy-and-hold', async () => {
    const out = join(dir, 'bench.html');
    expect((await spawnCli('report', '--store', store, '--benchmark', 'SYN01', '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Against SYN01 (buy and hold)');
    for (const f of ['beta', 'alpha', 'correlation', 'tracking-error', 'information-ratio']) {
      expect(Number.isFinite(Number(dataValue(html, 'data-field', f)))).toBe(true);
    }
    expect(Math.abs(Number(dataValue(html, 'data-field', 'correlation')))).toBeLessThanOrEqual(1);
    // Bought at the first bar's mark and held: its return is the last mark over the first, from the log itself.
    const sql = new Database(join(dir, 'demo.db'), { readonly: true });
    const marks = (sql.prepare("SELECT body FROM events WHERE type = 'BarMarked' ORDER BY position").all() as { body: string }[])
      .map((r) => (JSON.parse(r.body) as { data: { marks: Record<string, string> } }).data.marks['SYN01'])
      .filter((m): m is string => m !== undefined);
    sql.close();
    expect(Number(dataValue(html, 'data-field', 'benchmark-return'))).toBeCloseTo(Number(marks[marks.length - 1]) / Number(marks[0]) - 1, 12);
    // Its curve is drawn beside the portfolio's in the cumulative-return chart.
    const cumulative = /<figure data-chart="cumulative">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    expect(cumulative).toContain('SYN01 (buy and hold)');
    const longPaths = [...cumulative.matchAll(/ d="([^"]*)"/g)].filter((m) => (m[1] as string).length > 1500);
    expect(longPaths.length).toBeGreaterThanOrEqual(3); // the portfolio's line and area, the benchmark's line
    const unknown = await spawnCli('report', '--store', store, '--benchmark', 'NOPE', '--out', join(dir, 'nope.html'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^stratafolio: --benchmark NOPE: portfolio demo never recorded a mark of that symbol/);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'nope.html'))).toBe(false);
    // serve refuses it the same way instead of drawing a flat curve (killed after 30 s if it serves anyway).
    const served = spawnSync(process.execPath, [BIN, 'serve', '--store', store, '--port', '0', '--benchmark', 'NOPE'], { encoding: 'utf8', timeout: 30_000 });
    expect(served.status, served.stdout).toBe(2);
    expect(served.stderr).toMatch(/^stratafolio: --benchmark NOPE: portfolio demo never recorded a mark of that symbol/);
  });

  it('refuses bad input with one line and exit 2', async () => {
    const missing = await spawnCli('report', '--store', `sqlite:${join(dir, 'none.db')}`);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^stratafolio: --store .*none\.db: no such file/);
    const window = await spawnCli('report', '--store', store, '--window', '1');
    expect(window.code).toBe(2);
    expect(window.err).toMatch(/--window must be an integer of at least 2 bars, got "1"/);
    const help = await spawnCli('report', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--benchmark <symbol>/);
  });

  it('an empty --out is named as such, not as a folder that takes no files', async () => {
    const r = await spawnCli('report', '--store', store, '--out', '');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual(['stratafolio: --out is empty: give the HTML file to write (report.html when --out is left out)']);
  });

  it('a --benchmark the log never marked is named with the symbol it is close to, with --as-of or without', async () => {
    for (const extra of [[], ['--as-of', '2021-06-30']]) {
      const r = await spawnCli('report', '--store', store, '--benchmark', 'syn01', '--out', join(dir, 'never.html'), ...extra);
      expect(r.code).toBe(2);
      // A typo is not a symbol listed later: "give a later --as-of" would send the user the wrong way.
      expect(r.err.trim().split('\n')).toEqual(['stratafolio: --benchmark syn01: portfolio demo never recorded a mark of that symbol: did you mean "SYN01"?']);
      expect(existsSync(join(dir, 'never.html'))).toBe(false);
    }
    const far = await spawnCli('report', '--store', store, '--benchmark', 'ZZZZ', '--as-of', '2021-06-30', '--out', join(dir, 'never.html'));
    expect(far.err.trim()).toBe('stratafolio: --benchmark ZZZZ: portfolio demo never recorded a mark of that symbol (give a symbol one of its strategies trades)');
  });

  it('a tampered log is named, exits 1 and writes nothing', async () => {
    const copy = join(dir, 'tampered.db');
    copyFileSync(join(dir, 'demo.db'), copy);
    const sql = new Database(copy);
    // The 50th mark: its reserve gains a leading digit, and nothing else changes.
    const { revision, body } = sql.prepare("SELECT revision, body FROM events WHERE stream = ? AND type = 'BarMarked' ORDER BY revision LIMIT 1 OFFSET 50").get('portfolio-demo') as { revision: number; body: string };
    const altered = body.replace('"reserve":"', '"reserve":"1');
    expect(altered).not.toBe(body);
    sql.prepare('UPDATE events SET body = ? WHERE stream = ? AND revision = ?').run(altered, 'portfolio-demo', revision);
    sql.close();
    const out = join(dir, 'tampered.html');
    const r = await spawnCli('report', '--store', `sqlite:${copy}`, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^stratafolio: the log of demo is broken at revision ${revision}`));
    expect(existsSync(out)).toBe(false);
  });
});
