// A quant's own bar files through the shipped binary: what is refused before anything is written, and what is said.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from './fixtures/cliRun.js';

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bardata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'portfolio.json');
writeFileSync(
  config,
  JSON.stringify({
    id: 'own',
    name: 'own data',
    capital: '100000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.5' },
      { id: 'tf', kind: 'trend-following', allocation: '0.4', params: { fast: 2, slow: 3 } },
    ],
  }),
);

let files = 0;
function barFile(name: string, lines: readonly string[]): string {
  files += 1;
  const path = join(dir, `${files}-${name}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function backtest(bars: string, store: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  return runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${store}`, ...extra]);
}

describe('numbers the engine cannot compute with are refused by the pre-flight', () => {
  const cases = [
    { name: 'a price past the range of a double', cell: '1e400', says: 'close 1e400 is too large' },
    { name: 'a price so small it is zero as a double', cell: '1e-400', says: 'close 1e-400 is too small' },
    { name: 'a price with more significant digits than amounts carry', cell: '1.000000000000000000000000000000000000001', says: 'close 1.000000000000000000000000000000000000001 has 40 significant digits; amounts carry at most 34' },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 2 naming file, line and column, and no store`, async () => {
      const bars = barFile('wide.csv', ['date,AAA,BBB', '2020-01-02,10,20', `2020-01-03,${c.cell},21`, '2020-01-06,11,22']);
      const store = join(dir, `${files}.db`);
      const { code, err } = await backtest(bars, store);
      expect(err).toContain(`${bars}, line 3, column AAA: ${c.says}`);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(code).toBe(2);
      expect(existsSync(store)).toBe(false);
    });
  }

  it('a volume past the range of a double, in a long CSV', async () => {
    const bars = barFile('long.csv', ['timestamp,symbol,open,high,low,close,volume', '2020-01-02,AAA,10,11,9,10,1e999']);
    const store = join(dir, `${files}.db`);
    const { code, err } = await backtest(bars, store);
    expect(err).toContain(`${bars}, line 2, column volume: volume 1e999 is too large`);
    expect(code).toBe(2);
    expect(existsSync(store)).toBe(false);
  });
});

describe('resuming with a file whose earlier bars changed', () => {
  const LONG = 'timestamp,symbol,open,high,low,close,volume';

  it('a changed close is refused naming the file, the line and column of that bar (long CSV), and the log is unchanged', async () => {
    const store = join(dir, 'resume-long.db');
    const first = barFile('first.csv', [LONG, '2020-01-02,AAA,10,11,9,10,100', '2020-01-02,BBB,5,6,4,5,100', '2020-01-03,AAA,10,11,9,10.5,100', '2020-01-03,BBB,5,6,4,5,100']);
    const ran = await backtest(first, store, '--json');
    expect(ran.code).toBe(0);
    const head = (JSON.parse(ran.out) as { headHash: string }).headHash;
    const changed = barFile('changed.csv', [LONG, '2020-01-02,AAA,10,11,9,10,100', '2020-01-02,BBB,5,6,4,5,100', '2020-01-03,BBB,5,6,4,5,100', '2020-01-03,AAA,10,11,9,10.25,100', '2020-01-06,AAA,10,11,9,10.7,100']);
    const { code, err } = await backtest(changed, store);
    expect(err).toContain(`${changed}, line 5, column close: the bar at 2020-01-03T00:00:00.000Z differs from the one the log recorded: AAA closes at 10.25 in the source but 10.5 in the log`);
    expect(code).toBe(2);
    const audit = await runBin(['audit', '--store', `sqlite:${store}`, '--verify', '--expect-head', head]);
    expect(audit.code).toBe(0);
  });

  it('a symbol added to an earlier row of a wide file is refused naming the file, the line and its column', async () => {
    const store = join(dir, 'resume-wide.db');
    const first = barFile('first-wide.csv', ['date,AAA,BBB', '2020-01-02,10,', '2020-01-03,10.5,', '2020-01-06,10.7,22']);
    expect((await backtest(first, store)).code).toBe(0);
    const filled = barFile('filled-wide.csv', ['date,AAA,BBB', '2020-01-02,10,', '2020-01-03,10.5,21', '2020-01-06,10.7,22', '2020-01-07,10.9,23']);
    const { code, err } = await backtest(filled, store);
    expect(err).toContain(`${filled}, line 3, column BBB: the bar at 2020-01-03T00:00:00.000Z differs from the one the log recorded: BBB is in the source (close 21) but not in the log`);
    expect(code).toBe(2);
  });

  it('a bar time the log holds that the file lost is refused naming the line of the bar after the gap', async () => {
    const store = join(dir, 'resume-lost.db');
    const first = barFile('first-lost.ndjson', [
      '{"timestamp":"2020-01-02","symbol":"AAA","open":10,"high":10,"low":10,"close":10,"volume":0}',
      '{"timestamp":"2020-01-03","symbol":"AAA","open":10,"high":11,"low":10,"close":11,"volume":0}',
      '{"timestamp":"2020-01-06","symbol":"AAA","open":10,"high":12,"low":10,"close":12,"volume":0}',
    ]);
    expect((await backtest(first, store)).code).toBe(0);
    const lost = barFile('lost.ndjson', [
      '{"timestamp":"2020-01-02","symbol":"AAA","open":10,"high":10,"low":10,"close":10,"volume":0}',
      '{"timestamp":"2020-01-06","symbol":"AAA","open":10,"high":12,"low":10,"close":12,"volume":0}',
    ]);
    const { code, err } = await backtest(lost, store);
    expect(err).toContain(`${lost}, line 2, column timestamp: the log recorded a slice at 2020-01-03T00:00:00.000Z that the source does not have`);
    expect(code).toBe(2);
  });
});

describe('statistics of bars that are not daily', () => {
  const LONG = 'timestamp,symbol,open,high,low,close,volume';

  it('minute bars: the run says its yearly figures assume 252 bars a year, and how many the file holds', async () => {
    const rows = [LONG];
    let price = 100;
    for (const day of ['2020-03-02', '2020-03-03', '2020-03-04']) {
      for (let m = 0; m < 390; m += 1) {
        const t = new Date(Date.parse(`${day}T09:30:00-05:00`) + m * 60_000).toISOString();
        price += m % 7 < 3 ? 0.01 : -0.01;
        const p = price.toFixed(2);
        rows.push(`${t},AAA,${p},${p},${p},${p},100`);
      }
    }
    const bars = barFile('minutes.csv', rows);
    const { code, err } = await backtest(bars, join(dir, 'minutes.db'));
    expect(code).toBe(0);
    expect(err).toContain(`stratafolio: warning: ${bars}: its 1170 slices come about 190000 a year (2020-03-02T14:30:00.000Z … 2020-03-04T20:59:00.000Z)`);
    expect(err).toContain('the yearly figures (annual return, volatility, Sharpe) assume 252 bars a year, so they are not yearly figures for these bars');
  });

  it('daily bars: no such warning', async () => {
    const rows = ['date,AAA'];
    for (let d = 0; d < 30; d += 1) {
      const day = new Date(Date.UTC(2020, 0, 1) + d * 86_400_000);
      if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
      rows.push(`${day.toISOString().slice(0, 10)},${(10 + d / 10).toFixed(2)}`);
    }
    const bars = barFile('daily.csv', rows);
    const { code, err } = await backtest(bars, join(dir, 'daily.db'));
    expect(code).toBe(0);
    expect(err).toBe('');
  });
});

describe('symbols as written', () => {
  it('symbols that differ only in case are two symbols in a wide file, as in a long one (same log)', async () => {
    const wide = barFile('case-wide.csv', ['date,AAA,aaa', '2020-01-02,10,20', '2020-01-03,10.5,21']);
    const long = barFile('case-long.csv', [
      'timestamp,symbol,open,high,low,close,volume',
      '2020-01-02,AAA,10,10,10,10,0',
      '2020-01-02,aaa,20,20,20,20,0',
      '2020-01-03,AAA,10.5,10.5,10.5,10.5,0',
      '2020-01-03,aaa,21,21,21,21,0',
    ]);
    const fromWide = await backtest(wide, join(dir, 'case-wide.db'), '--json');
    const fromLong = await backtest(long, join(dir, 'case-long.db'), '--json');
    expect(fromWide.err).toBe('');
    expect(fromWide.code).toBe(0);
    expect(fromLong.code).toBe(0);
    const head = (r: { out: string }): string => (JSON.parse(r.out) as { headHash: string }).headHash;
    expect(head(fromWide)).toBe(head(fromLong));
  });

  it('a symbol column written twice is still refused', async () => {
    const wide = barFile('dup-wide.csv', ['date,AAA,AAA', '2020-01-02,10,20']);
    const { code, err } = await backtest(wide, join(dir, 'dup-wide.db'));
    expect(err).toContain(`${wide}, line 1, column AAA: duplicate column "AAA" in the header`);
    expect(code).toBe(2);
  });
});

describe('a symbol that stops trading', () => {
  it('a position in it at the end is named: it has been valued at its last close since its last bar', async () => {
    const bars = barFile('delisted.csv', ['date,AAA,BBB', '2020-01-02,10,20', '2020-01-03,10.5,21', '2020-01-06,10.7,22', '2020-01-07,10.9,', '2020-01-08,11,']);
    const { code, err, out } = await backtest(bars, join(dir, 'delisted.db'), '--json');
    expect(code).toBe(0);
    const bh = (JSON.parse(out) as { strategies: { id: string; positions: Record<string, string> }[] }).strategies.find((s) => s.id === 'bh');
    expect(bh?.positions['BBB']).toBe('1250');
    expect(err).toContain(
      `stratafolio: warning: ${bars}: BBB has no bar after 2020-01-06T00:00:00.000Z (the file ends at 2020-01-08T00:00:00.000Z), yet it is held at the end (bh 1250, tf 909): it has been valued at its last close since then, and no order in it can fill`,
    );
  });

  it('no warning when nothing is held in it', async () => {
    const bars = barFile('delisted-unheld.csv', ['date,AAA,BBB', '2020-01-02,10,', '2020-01-03,10.5,', '2020-01-06,10.7,22', '2020-01-07,10.9,', '2020-01-08,11,']);
    const { code, err } = await backtest(bars, join(dir, 'delisted-unheld.db'));
    expect(code).toBe(0);
    expect(err).toBe('');
  });
});

describe('next-open orders in a long CSV where a symbol stops trading', () => {
  const long = (rows: readonly string[]): string[] => ['timestamp,symbol,open,high,low,close,volume', ...rows.map((r) => `${r},100`)];
  // BBB trades until 2020-01-06, AAA until 2020-01-08; the later file adds 2020-01-09, when both trade.
  const rows = [
    '2020-01-02,AAA,10,10,10,10', '2020-01-02,BBB,20,20,20,20', '2020-01-03,AAA,10.5,10.5,10.5,10.5', '2020-01-03,BBB,21,21,21,21',
    '2020-01-06,AAA,10.7,10.7,10.7,10.7', '2020-01-06,BBB,22,22,22,22', '2020-01-07,AAA,10.9,10.9,10.9,10.9', '2020-01-08,AAA,11,11,11,11',
  ];
  const later = [...rows, '2020-01-09,AAA,11.2,11.3,11.2,11.3', '2020-01-09,BBB,23,23,23,23'];
  const nextOpen = join(dir, 'next-open.json');
  writeFileSync(
    join(dir, 'last-bar.mjs'),
    `export default { name: 'last-bar', onBar(ctx) { if (ctx.time.startsWith('2020-01-06')) ctx.order('BBB', 10); if (ctx.time.startsWith('2020-01-08')) ctx.order('AAA', 5); } };\n`,
  );
  writeFileSync(
    nextOpen,
    JSON.stringify({ id: 'waiting', name: 'waiting', capital: '100000', strategies: [{ id: 'lb', module: './last-bar.mjs', allocation: '0.5' }], execution: { fillAt: 'next-open' } }),
  );
  const run = (bars: string, store: string): Promise<{ code: number; out: string; err: string }> =>
    runBin(['backtest', '--config', nextOpen, '--bars', bars, '--store', `sqlite:${store}`, '--json']);
  const rejections = async (store: string): Promise<unknown> => {
    const { out } = await runBin(['audit', '--store', `sqlite:${store}`, '--events', 'rejections', '--json']);
    return (JSON.parse(out) as { incidents: { events: { barTime: string; message: string }[] } }).incidents.events.map((e) => [e.barTime, e.message]);
  };
  const expired = ['2020-01-07T00:00:00.000Z', 'o2-lb-0 BBB 10: expired: BBB has no bar at the open of 2020-01-07T00:00:00.000Z, where this order was to fill'];

  it('the order in the symbol that stopped expires at its next slice, cash untouched; the one placed on the last bar is named as waiting', async () => {
    const bars = barFile('stops.csv', long(rows));
    const store = join(dir, 'stops.db');
    const { code, out, err } = await run(bars, store);
    expect(code).toBe(0);
    expect(err).toBe(
      `stratafolio: warning: ${bars}: orders placed on the last bar wait for the next open, after the file's end: they have not filled, and fill only if the run is resumed with later bars whose first slice has their symbol (lb AAA 5)\n`,
    );
    expect(await rejections(store)).toEqual([expired]);
    const strategy = (JSON.parse(out) as { strategies: { cash: string; positions: Record<string, string> }[] }).strategies[0];
    expect(strategy).toMatchObject({ cash: '50000', positions: {} });
    const replay = JSON.parse((await runBin(['replay', '--store', `sqlite:${store}`, '--json'])).out) as { positions: { strategies: { cash: string; positions: unknown[] }[] } };
    expect(replay.positions.strategies[0]).toMatchObject({ cash: '50000', positions: [] });
  });

  it('resumed with later bars: the expired order stays expired though BBB trades again, the waiting one fills, and the log equals an uninterrupted run', async () => {
    const store = join(dir, 'resumed.db');
    expect((await run(barFile('first.csv', long(rows)), store)).code).toBe(0);
    const resumed = await run(barFile('later.csv', long(later)), store);
    const whole = await run(barFile('whole.csv', long(later)), join(dir, 'whole.db'));
    expect(resumed.code).toBe(0);
    expect(resumed.err).toBe('');
    const summary = (text: string): { headHash: string; strategies: { cash: string; positions: Record<string, string> }[] } => JSON.parse(text) as never;
    // 50,000 − 5 × 11.2 = 49,944: AAA filled at 2020-01-09's open; nothing of BBB.
    expect(summary(resumed.out).strategies[0]).toMatchObject({ cash: '49944', positions: { AAA: '5' } });
    expect(summary(resumed.out).headHash).toBe(summary(whole.out).headHash);
    expect(await rejections(store)).toEqual([expired]);
  });
});

describe('symbols with control characters', () => {
  it('a symbol holding a line break (a quote closed in the wrong place) is refused, naming file, line and column', async () => {
    const bars = barFile('newline-symbol.csv', ['timestamp,symbol,open,high,low,close,volume', '2020-01-02,AAA,10,10,10,10,0', '2020-01-02,"B', 'B",10,10,10,10,0']);
    const store = join(dir, 'newline-symbol.db');
    const { code, err } = await backtest(bars, store);
    expect(err).toContain(`${bars}, line 4, column symbol: symbol "B\\nB" holds a control character (U+000A)`);
    expect(code).toBe(2);
    expect(existsSync(store)).toBe(false);
  });

  it('in an NDJSON member and in a wide header too', async () => {
    const nd = barFile('nul-symbol.ndjson', ['{"timestamp":"2020-01-02","symbol":"X\\u0000Y","open":1,"high":1,"low":1,"close":1,"volume":0}']);
    const a = await backtest(nd, join(dir, 'nul-symbol.db'));
    expect(a.err).toContain(`${nd}, line 1, column symbol: symbol "X\\u0000Y" holds a control character (U+0000)`);
    expect(a.code).toBe(2);
    const wide = barFile('tab-symbol.csv', ['date,AAA,B\tB', '2020-01-02,10,20']);
    const b = await backtest(wide, join(dir, 'tab-symbol.db'));
    expect(b.err).toContain(`${wide}, line 1, column B\tB: symbol "B\\tB" holds a control character (U+0009)`);
    expect(b.code).toBe(2);
  });
});

describe('rows in another order', () => {
  it('a wide file newest first (as many sites export it) is refused saying to sort it oldest first', async () => {
    const bars = barFile('newest-first.csv', ['date,AAA', '2020-01-06,11', '2020-01-03,10.5', '2020-01-02,10']);
    const { code, err } = await backtest(bars, join(dir, 'newest-first.db'));
    expect(err).toContain(`${bars}, line 3, column date: date 2020-01-03T00:00:00.000Z is not after 2020-01-06T00:00:00.000Z (line 2); dates must strictly increase: sort the rows oldest first`);
    expect(code).toBe(2);
  });

  it('a long file sorted by symbol is refused saying to sort it by timestamp', async () => {
    const bars = barFile('by-symbol.csv', ['timestamp,symbol,open,high,low,close,volume', '2020-01-02,AAA,10,10,10,10,0', '2020-01-03,AAA,10,10,10,10,0', '2020-01-02,BBB,5,5,5,5,0', '2020-01-03,BBB,5,5,5,5,0']);
    const { code, err } = await backtest(bars, join(dir, 'by-symbol.db'));
    expect(err).toContain(`${bars}, line 4, column timestamp: timestamp 2020-01-02T00:00:00.000Z is not after 2020-01-03T00:00:00.000Z (line 3); bar times must strictly increase and the rows of one time must be consecutive: sort the rows by timestamp`);
    expect(code).toBe(2);
  });
});
