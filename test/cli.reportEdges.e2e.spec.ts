// Edges of the reporting commands a quant meets: a benchmark listed after the portfolio started, a strategy removed
// mid-run, a rolling window longer than the log, a port already in use, and a paper portfolio copied to another store.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { BIN, dataValue, spawnCli, withServe } from './fixtures/reportFixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-report-edges-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const slices = [...syntheticSlices({ seed: 5, symbols: 3, bars: 120, start: '2021-01-04' })];
const symbols = Object.keys(slices[0]?.bars ?? {}).sort();
/** Weekly bar times: the 120 slices span more than two years, the removed strategy's 80 more than one. */
const times = slices.map((_, i) => new Date(Date.parse('2019-01-07T00:00:00.000Z') + i * 7 * 86_400_000).toISOString());
/** The symbol that is listed late: no bar before slice {@link LISTED}. */
const LATE = symbols[2] as string;
const LISTED = 40;

/** Slices as NDJSON bars, the late symbol absent before it is listed. */
function ndjson(from: number, to: number): string {
  const lines: string[] = [];
  for (const s of slices.slice(from, to)) {
    const index = slices.indexOf(s);
    for (const [symbol, bar] of Object.entries(s.bars)) {
      if (symbol === LATE && index < LISTED) continue;
      lines.push(JSON.stringify({ timestamp: times[index], symbol, open: bar.open.toString(), high: bar.high.toString(), low: bar.low.toString(), close: bar.close.toString(), volume: bar.volume.toString() }));
    }
  }
  return `${lines.join('\n')}\n`;
}

const config = {
  id: 'edges',
  name: 'report edges',
  capital: '100000',
  strategies: [
    { id: 'hold', kind: 'buy-and-hold', allocation: '0.3', params: { symbols: symbols.slice(0, 2) } },
    { id: 'trend', kind: 'trend-following', allocation: '0.3', params: { symbols: symbols.slice(0, 2), fast: 3, slow: 8 } },
  ],
  execution: { commission: { kind: 'none' } },
  lookback: 30,
  snapshotEvery: 0,
};
const configPath = join(scratch, 'config.json');
writeFileSync(configPath, JSON.stringify(config));

/** Runs `paper --feed -` with `input` on stdin, as a user piping bars in would. */
function paper(store: string, input: string): Promise<{ code: number; out: string; err: string }> {
  const proc = spawn(process.execPath, [BIN, 'paper', '--config', configPath, '--feed', '-', '--symbols', symbols.join(','), '--store', store, '--jit-warm-up', '0']);
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdin.end(input);
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code: code ?? 1, out, err })));
}

/** A paper portfolio whose trend strategy is removed (by a queued command) at slice 80 of 120. */
const store = `sqlite:${join(scratch, 'edges.db')}`;
let built: Promise<void> | null = null;
function paperPortfolio(): Promise<void> {
  built ??= (async () => {
    const first = await paper(store, ndjson(0, 80));
    expect(first.code, first.err).toBe(0);
    const queued = await spawnCli('command', '--store', store, '--wait', '0ms', 'remove', 'trend');
    expect([0, 3], queued.err).toContain(queued.code);
    const rest = await paper(store, ndjson(80, 120));
    expect(rest.code, rest.err).toBe(0);
  })();
  return built;
}

async function report(...extra: string[]): Promise<string> {
  const out = join(scratch, `r-${Math.random().toString(36).slice(2)}.html`);
  const r = await spawnCli('report', '--store', store, '--out', out, ...extra);
  expect(r.code, r.err).toBe(0);
  return readFileSync(out, 'utf8');
}

describe('report: a strategy removed mid-run is measured to its removal', () => {
  it('its CAGR and longest drawdown span its own returns, not the bars after it was removed', async () => {
    await paperPortfolio();
    const html = await report();
    const replay = JSON.parse((await spawnCli('replay', '--store', store, '--json')).out) as { strategies: { strategyId: string; state: string; totalReturn: number }[] };
    const trend = replay.strategies.find((s) => s.strategyId === 'trend');
    expect(trend?.state).toBe('stopped');
    // Removed at the 81st slice: its last return is the 80th bar's; the later 40 bars are not its time.
    const years = (Date.parse(times[79] ?? '') - Date.parse(times[0] ?? '')) / 86_400_000 / 365.25;
    const cagr = Number(dataValue(html, 'data-metric', 'trend:cagr'));
    expect(cagr).toBeCloseTo((1 + (trend?.totalReturn ?? Number.NaN)) ** (1 / years) - 1, 12);
    const longest = Number(dataValue(html, 'data-metric', 'trend:longestDrawdownDays'));
    expect(longest).toBeLessThanOrEqual((Date.parse(times[79] ?? '') - Date.parse(times[0] ?? '')) / 86_400_000);
  });
});

describe('serve: a port it cannot have', () => {
  it('a port in use is exit 2 naming --port and what to do, said before the log is folded', async () => {
    await paperPortfolio();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const r = await spawnCli('serve', '--store', store, '--port', String(port));
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toEqual([`stratafolio: --port ${port}: 127.0.0.1:${port} is already in use (another serve or program listens there); choose another --port, or --port 0 for a free one`]);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it("a --host that is not this machine's is exit 2 naming --host", async () => {
    await paperPortfolio();
    const r = await spawnCli('serve', '--store', store, '--port', '0', '--host', '192.0.2.1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^stratafolio: --host 192\.0\.2\.1: not an address of this machine/);
  });
});

describe('copy: a paper portfolio moves with its feed record', () => {
  it('the copy exports the same bars and the session resumes on it; copying again adds nothing', async () => {
    await paperPortfolio();
    const target = `sqlite:${join(scratch, 'copied.db')}`;
    const first = await spawnCli('copy', '--from', store, '--to', target, '--json');
    expect(first.code, first.err).toBe(0);
    const streams = (JSON.parse(first.out) as { streams: { stream: string; copied: number }[] }).streams;
    expect(streams.map((s) => s.stream)).toEqual(['feed-edges', 'portfolio-edges']);
    const exported = async (url: string, name: string): Promise<string> => {
      const out = join(scratch, name);
      const r = await spawnCli('export-bars', '--store', url, '--out', out);
      expect(r.code, r.err).toBe(0);
      return readFileSync(out, 'utf8');
    };
    expect(await exported(target, 'copied.ndjson')).toBe(await exported(store, 'source.ndjson'));
    const again = JSON.parse((await spawnCli('copy', '--from', store, '--to', target, '--json')).out) as { streams: { copied: number }[] };
    expect(again.streams.map((s) => s.copied)).toEqual([0, 0]);
    // The bars already recorded are recognised on the copy as on the original: nothing is applied twice.
    const resumed = await paper(target, ndjson(100, 120));
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/bars applied 0; not applied: duplicates 60, late 0/);
  });
});

describe('report: a benchmark listed after the portfolio started', () => {
  it('says from when it is held and gives the portfolio’s return over the same bars beside its own', async () => {
    await paperPortfolio();
    const html = await report('--benchmark', LATE);
    const db = new Database(join(scratch, 'edges.db'), { readonly: true });
    const marks = db
      .prepare("SELECT body FROM events WHERE stream = 'portfolio-edges' AND type = 'BarMarked' ORDER BY revision")
      .all()
      .map((row) => (JSON.parse((row as { body: string }).body) as { data: { portfolioValue: string; marks: Record<string, string> } }).data);
    db.close();
    const listed = marks.findIndex((m) => m.marks[LATE] !== undefined);
    expect(listed).toBe(LISTED);
    expect(dataValue(html, 'data-field', 'benchmark-since')).toBe(times[LISTED]);
    const last = marks[marks.length - 1];
    expect(Number(dataValue(html, 'data-field', 'benchmark-return'))).toBeCloseTo(Number(last?.marks[LATE]) / Number(marks[listed]?.marks[LATE]) - 1, 12);
    // The portfolio over the benchmark's bars, not over the whole log.
    expect(Number(dataValue(html, 'data-field', 'benchmark-portfolio-return'))).toBeCloseTo(Number(last?.portfolioValue) / Number(marks[listed]?.portfolioValue) - 1, 12);
    expect(html).toContain(`Against ${LATE} (buy and hold from ${times[LISTED]?.slice(0, 10)})`);
  });
});

describe('report --as-of before the benchmark was listed', () => {
  it('says it has no mark up to that point, not that it never had one', async () => {
    await paperPortfolio();
    const r = await spawnCli('report', '--store', store, '--benchmark', LATE, '--as-of', times[20] ?? '', '--out', join(scratch, 'early.html'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      `stratafolio: --benchmark ${LATE}: portfolio edges recorded no mark of that symbol up to the as-of point (its last bar folded is ${times[20]}); give a later --as-of, or another symbol`,
    ]);
  });
});

describe('report --as-of before the first bar', () => {
  it('writes the portfolio as opened and says why it has no bar', async () => {
    await paperPortfolio();
    const r = await spawnCli('report', '--store', store, '--as-of', '2000-01-01', '--out', join(scratch, 'opened.html'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*opened\.html \(\d+ KiB\): 0 bars, \d+ events, log verified$/m);
    const firstBar = /first bar \(\S+, position (\d+)\)/.exec(r.err);
    expect(r.err.trim().split('\n')).toEqual([
      `stratafolio: warning: --as-of 2000-01-01 is before portfolio edges's first bar (${times[0]}, position ${firstBar?.[1] ?? '?'}): the report shows it as opened, with no bar`,
    ]);
    // A position before the first bar's is the same page, said the same way.
    const byPosition = await spawnCli('report', '--store', store, '--as-of', '1', '--out', join(scratch, 'opened-1.html'));
    expect(byPosition.code).toBe(0);
    expect(byPosition.err).toContain("stratafolio: warning: --as-of 1 is before portfolio edges's first bar");
  });
});

describe('report: a rolling window longer than the log', () => {
  it('says why the rolling chart is empty instead of drawing bare axes', async () => {
    await paperPortfolio();
    const html = await report('--window', '500');
    expect(html).toContain('<figcaption>Rolling Sharpe and volatility (500 bars): none yet, the log has 120 bars; give a shorter --window</figcaption>');
    const fits = await report('--window', '20');
    expect(fits).toContain('<figcaption>Rolling Sharpe and volatility (20 bars)</figcaption>');
  });
});

describe('serve: the verification it shows', () => {
  it('says it covers the events there were when it started, not the whole log the page now shows', async () => {
    const live = `sqlite:${join(scratch, 'serve.db')}`;
    const first = await paper(live, ndjson(0, 30));
    expect(first.code, first.err).toBe(0);
    await withServe(live, async (url) => {
      const atStart = await (await fetch(`${url}body`)).text();
      const startEvents = Number(/(\d+) events chained/.exec(atStart)?.[1]);
      expect(atStart).toMatch(/<span class="ok">intact<\/span> \(whole log\)/);
      const more = await paper(live, ndjson(30, 60));
      expect(more.code, more.err).toBe(0);
      let state = { revision: -1 };
      for (let i = 0; i < 100 && state.revision + 1 <= startEvents; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await (await fetch(`${url}state.json`)).json()) as { revision: number };
      }
      const later = await (await fetch(`${url}body`)).text();
      expect(later).not.toContain('(whole log)');
      expect(later).toContain(`intact</span> when serve started (the first ${startEvents} events)`);
    });
  });
});

describe('copy: a store it cannot use is named by its flag', () => {
  it('a --to that is another application’s SQLite file, and a --from that does not exist, name --to and --from', async () => {
    await paperPortfolio();
    const foreign = join(scratch, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (a)');
    db.close();
    const before = readFileSync(foreign);
    const to = await spawnCli('copy', '--from', store, '--to', `sqlite:${foreign}`);
    expect(to.code).toBe(2);
    expect(to.err).toMatch(new RegExp(`^stratafolio: --to sqlite:${foreign}: "${foreign}" is not a stratafolio event store`));
    expect(to.err).not.toContain('--store');
    expect(readFileSync(foreign)).toEqual(before);
    const missing = join(scratch, 'missing.db');
    const from = await spawnCli('copy', '--from', `sqlite:${missing}`, '--to', `sqlite:${join(scratch, 'never.db')}`);
    expect(from.code).toBe(2);
    expect(from.err.trim()).toBe(`stratafolio: --from sqlite:${missing}: no such file ${missing}`);
  });
});

describe('report: a log shorter than a year', () => {
  it('gives no CAGR (a return under a year is not annualised), and its total return as it is', async () => {
    const short = `sqlite:${join(scratch, 'short.db')}`;
    const run = await paper(short, ndjson(0, 30)); // 30 weekly bars: seven months
    expect(run.code, run.err).toBe(0);
    const out = join(scratch, 'short.html');
    expect((await spawnCli('report', '--store', short, '--out', out)).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(dataValue(html, 'data-field', 'cagr')).toBe('null');
    for (const id of ['portfolio', 'hold', 'trend']) {
      expect(dataValue(html, 'data-metric', `${id}:cagr`)).toBe('null');
      expect(Number(dataValue(html, 'data-metric', `${id}:totalReturn`))).not.toBeNaN();
    }
    expect(html).toMatch(/CAGR is shown for a year or more of returns/);
    // The Annual return row beside it is annualised at any length (empyrical's): the note must not say that no figure of
    // a shorter span is annualised, and it says that this one extrapolates.
    expect(Number(dataValue(html, 'data-metric', 'portfolio:annualReturn'))).not.toBeNaN();
    expect(html).toContain('Annual return is annualised by the bars a year at any length (empyrical’s): under a year of bars it extrapolates');
  });
});
