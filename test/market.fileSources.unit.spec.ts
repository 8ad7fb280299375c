// Each file format parses a small generated file into hand-written slices; inference, pre-flight and writers round-trip.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../src/errors.js';
import type { BarSlice } from '../src/market/bar.js';
import {
  detectBarFormat,
  openBarSource,
  readLongCsv,
  readNdjson,
  readWideCsv,
  syntheticSlices,
  validateBarFile,
  writeLongCsv,
  writeNdjson,
  writeWideCsv,
} from '../src/market/index.js';
import { collect, scratchDir } from './fixtures/market/barFiles.js';

const dir = scratchDir();
afterAll(() => dir.cleanup());

const bar = (symbol: string, open: string, high: string, low: string, close: string, volume: string) => ({
  symbol,
  open,
  high,
  low,
  close,
  volume,
});
const flat = (symbol: string, price: string) => bar(symbol, price, price, price, price, '0');

describe('readLongCsv', () => {
  it('groups rows by timestamp, in any column order, with extra columns ignored and symbols sorted', async () => {
    const path = dir.file(
      'long.csv',
      [
        'Symbol,close,timestamp,open,high,low,volume,venue',
        'MSFT,20.5,2020-01-02,20,21,19.75,300,X',
        'AAPL,10.50,2020-01-02T00:00:00Z,10,11,9.5,100,X',
        '',
        'AAPL,10.6,2020-01-03,10.5,10.7,10.4,0,Y',
        'AAPL, 11 ,2020-01-06T10:30:00+01:00,11,11,11,5,Y',
      ].join('\r\n') + '\r\n',
    );
    const slices = await collect(readLongCsv(path));
    const expected: BarSlice[] = [
      {
        time: '2020-01-02T00:00:00.000Z',
        bars: { AAPL: bar('AAPL', '10', '11', '9.5', '10.50', '100'), MSFT: bar('MSFT', '20', '21', '19.75', '20.5', '300') },
      },
      { time: '2020-01-03T00:00:00.000Z', bars: { AAPL: bar('AAPL', '10.5', '10.7', '10.4', '10.6', '0') } },
      { time: '2020-01-06T09:30:00.000Z', bars: { AAPL: bar('AAPL', '11', '11', '11', '11', '5') } },
    ];
    expect(slices).toEqual(expected);
    expect(Object.keys(slices[0]?.bars ?? {})).toEqual(['AAPL', 'MSFT']);
  });

  it('accepts epoch milliseconds and a header-only file (no slices)', async () => {
    const path = dir.file('epoch.csv', 'timestamp,symbol,open,high,low,close,volume\n1577923200000,A,1,1,1,1,1\n');
    expect(await collect(readLongCsv(path))).toEqual([{ time: '2020-01-02T00:00:00.000Z', bars: { A: bar('A', '1', '1', '1', '1', '1') } }]);
    const headerOnly = dir.file('header-only.csv', 'timestamp,symbol,open,high,low,close,volume\n');
    expect(await collect(readLongCsv(headerOnly))).toEqual([]);
  });
});

describe('quoted CSV fields', () => {
  it('parses quoted fields, also when a quoted line break straddles a read buffer', async () => {
    // A line break inside quotes belongs in a column the reader ignores (a symbol may not hold one).
    const filler = Array.from({ length: 40 }, (_, i) => `2020-01-02,F${String(i).padStart(2, '0')},1,1,1,1,1,`);
    const path = dir.file(
      'quoted.csv',
      [
        'timestamp,symbol,open,high,low,close,volume,note',
        ...filler,
        '2020-01-02,"BRK,B",1,1,1,1,"2",',
        '2020-01-03,"odd ""name""",1,1,1,1,1,"two\nlines"',
        '2020-01-06,A,1,1,1,1,1,',
      ].join('\n'),
    );
    const slices = await collect(readLongCsv(path, { highWaterMark: 64 }));
    expect(slices.map((s) => Object.keys(s.bars).length)).toEqual([41, 1, 1]);
    expect(slices[0]?.bars['BRK,B']).toEqual(bar('BRK,B', '1', '1', '1', '1', '2'));
    expect(Object.keys(slices[1]?.bars ?? {})).toEqual(['odd "name"']);
  });

  it('counts lines across buffers and quoted line breaks in error locations', async () => {
    const path = dir.file(
      'quoted-bad.csv',
      ['timestamp,symbol,open,high,low,close,volume,note', '2020-01-02,A,1,1,1,1,1,"two\nlines"', '2020-01-03,A,1,1,1,x,1,'].join('\n'),
    );
    await expect(collect(readLongCsv(path, { highWaterMark: 16 }))).rejects.toThrow(`${path}, line 4, column close`);
  });
});

describe('readWideCsv', () => {
  it('reads the adjusted-close layout: an empty cell is no bar, an all-empty row is no slice', async () => {
    const path = dir.file(
      'wide.csv',
      ['date,XOM,AAPL,JPM', '2017-04-10,79.995827,140.940399,84.047569', '2017-04-11,,139.424393,83.900772', '2017-04-12,,,', '2017-04-13,78.610123,,'].join('\n'),
    );
    const slices = await collect(readWideCsv(path));
    expect(slices).toEqual([
      {
        time: '2017-04-10T00:00:00.000Z',
        bars: { AAPL: flat('AAPL', '140.940399'), JPM: flat('JPM', '84.047569'), XOM: flat('XOM', '79.995827') },
      },
      { time: '2017-04-11T00:00:00.000Z', bars: { AAPL: flat('AAPL', '139.424393'), JPM: flat('JPM', '83.900772') } },
      { time: '2017-04-13T00:00:00.000Z', bars: { XOM: flat('XOM', '78.610123') } },
    ]);
    expect(Object.keys(slices[0]?.bars ?? {})).toEqual(['AAPL', 'JPM', 'XOM']);
  });

  it('accepts an unnamed date column (a pandas index)', async () => {
    const path = dir.file('wide-index.csv', ',A\n2020-01-02,5\n');
    expect(await collect(readWideCsv(path))).toEqual([{ time: '2020-01-02T00:00:00.000Z', bars: { A: flat('A', '5') } }]);
  });
});

describe('readNdjson', () => {
  it('keeps the source text of JSON numbers (no binary-float digits) and groups by timestamp', async () => {
    const lines = [
      '{"timestamp":"2020-01-02","symbol":"B","open":1.10,"high":1.2000000000000002,"low":0.1e1,"close":"1.15","volume":7,"note":{"a":[1,"}"]}}',
      '',
      '  {"symbol":"A","timestamp":1577923200000,"open":"3","high":"3","low":"3","close":"3","volume":"0"}  ',
      '{"timestamp":"2020-01-03 00:00","symbol":"A","open":"3","high":"4","low":"2.5","close":"3.5","volume":"12.5"}',
    ];
    const path = dir.file('bars.ndjson', `${lines.join('\n')}\n`);
    expect(await collect(readNdjson(path))).toEqual([
      {
        time: '2020-01-02T00:00:00.000Z',
        bars: { A: bar('A', '3', '3', '3', '3', '0'), B: bar('B', '1.10', '1.2000000000000002', '0.1e1', '1.15', '7') },
      },
      { time: '2020-01-03T00:00:00.000Z', bars: { A: bar('A', '3', '4', '2.5', '3.5', '12.5') } },
    ]);
  });
});

describe('readNdjson strings', () => {
  it('decodes JSON escapes in strings and refuses a raw control character', async () => {
    const good = dir.file('escaped.ndjson', '{"timestamp":"2020-01-02","symbol":"A\\u0042\\"C","open":"1","high":"1","low":"1","close":"1","volume":"0"}\n');
    expect(Object.keys((await collect(readNdjson(good)))[0]?.bars ?? {})).toEqual(['AB"C']);
    const bad = dir.file('control.ndjson', '{"timestamp":"2020-01-02","symbol":"A\tB","open":"1","high":"1","low":"1","close":"1","volume":"0"}\n');
    await expect(collect(readNdjson(bad))).rejects.toThrow(`${bad}, line 1, column char 38: not a JSON object`);
  });
});

describe('openBarSource and detectBarFormat', () => {
  it('infers the format from the extension and the header', async () => {
    const long = dir.file('infer-long.csv', 'timestamp,"symbol",open,high,low,close,volume\n2020-01-02,A,1,1,1,1,1\n');
    const wide = dir.file('infer-wide.csv', 'date,A\n2020-01-02,1\n');
    const nd = dir.file('infer.jsonl', '{"timestamp":"2020-01-02","symbol":"A","open":1,"high":1,"low":1,"close":1,"volume":1}\n');
    expect(await detectBarFormat(long)).toBe('long');
    expect(await detectBarFormat(wide)).toBe('wide');
    expect(await detectBarFormat(nd)).toBe('ndjson');
    expect(await detectBarFormat(dir.path('x.NDJSON'))).toBe('ndjson');
    expect(await collect(openBarSource({ path: wide }))).toEqual([{ time: '2020-01-02T00:00:00.000Z', bars: { A: flat('A', '1') } }]);
    expect(await collect(openBarSource({ path: long }))).toEqual([{ time: '2020-01-02T00:00:00.000Z', bars: { A: bar('A', '1', '1', '1', '1', '1') } }]);
    // An explicit format wins over the extension.
    const odd = dir.file('bars.txt', 'date,A\n2020-01-02,1\n');
    expect(await collect(openBarSource({ path: odd, format: 'wide' }))).toHaveLength(1);
  });

  it('refuses an extension it cannot infer from, and an unknown format name', async () => {
    const odd = dir.file('bars.dat', 'date,A\n');
    await expect(collect(openBarSource({ path: odd }))).rejects.toThrow(ConfigError);
    await expect(collect(openBarSource({ path: odd, format: 'xml' as 'wide' }))).rejects.toThrow(/unknown bar format "xml"/);
  });

  it('touches nothing until the first slice is asked for', async () => {
    const source = openBarSource({ path: dir.path('does-not-exist.csv') });
    const first = source.next();
    await expect(first).rejects.toThrow(DataError);
    await expect(first).rejects.toThrow(/does-not-exist\.csv.*ENOENT/);
  });
});

describe('bars already read (standard input)', () => {
  it('reads them as the file holding them is read, split anywhere (inside a multi-byte character too), named as given in errors', async () => {
    const text = '\uFEFFtimestamp,symbol,open,high,low,close,volume\n2020-01-02,ÉTÉ,1,2,0.5,1.5,10\n2020-01-02,B,3,3,3,3,1\n2020-01-03,ÉTÉ,2,2,2,2,1\n';
    const path = dir.file('content.csv', text);
    const fromFile = await collect(openBarSource({ path, format: 'long' }));
    for (const highWaterMark of [1, 2, 3, 7, 64 * 1024]) {
      const content = Buffer.from(text);
      expect(await collect(openBarSource({ path: 'stdin', format: 'long', content, highWaterMark }))).toEqual(fromFile);
      expect(await validateBarFile('stdin', 'long', { content, highWaterMark })).toEqual(await validateBarFile(path, 'long'));
    }
    const bad = Buffer.from('{"timestamp":"2020-01-02","symbol":"A","open":"1","high":"1","low":"1","close":"1","volume":"1"}\n{"timestamp":"2020-01-03","symbol":"A"}\n');
    await expect(validateBarFile('stdin', 'ndjson', { content: bad })).rejects.toThrow('stdin, line 2, column open: missing member "open"');
    await expect(validateBarFile('stdin', 'ndjson', { content: Buffer.from([0x1f, 0x8b, 0]) })).rejects.toThrow('stdin: the input is gzip-compressed: decompress it on its way in');
  });

  it('needs the format: there is no file name to infer it from', async () => {
    const content = Buffer.from('date,A\n2020-01-02,1\n');
    await expect(validateBarFile('stdin', undefined, { content })).rejects.toThrow('cannot infer the bar format of stdin, which has no file name: give format long, wide or ndjson');
    await expect(collect(openBarSource({ path: 'stdin', content }))).rejects.toThrow(ConfigError);
  });
});

describe('validateBarFile', () => {
  it('summarises a valid file', async () => {
    const path = dir.file('summary.csv', 'date,B,A\n2020-01-02,1,\n2020-01-03,2,3\n');
    expect(await validateBarFile(path)).toEqual({
      format: 'wide',
      slices: 2,
      bars: 3,
      firstTime: '2020-01-02T00:00:00.000Z',
      lastTime: '2020-01-03T00:00:00.000Z',
      symbols: ['A', 'B'],
      ended: [],
    });
  });

  it('names the symbols whose bars end before the file does, with their last bar time', async () => {
    const path = dir.file('ended.csv', 'date,B,A,C\n2020-01-02,1,,5\n2020-01-03,2,3,\n2020-01-06,,4,\n');
    expect((await validateBarFile(path)).ended).toEqual([
      { symbol: 'B', lastTime: '2020-01-03T00:00:00.000Z' },
      { symbol: 'C', lastTime: '2020-01-02T00:00:00.000Z' },
    ]);
  });

  it('throws the first DataError of the file, even one far past the first slice', async () => {
    const rows = ['timestamp,symbol,open,high,low,close,volume'];
    for (let d = 1; d <= 28; d += 1) rows.push(`2021-02-${String(d).padStart(2, '0')},A,1,1,1,1,1`);
    rows.push('2021-02-27,B,1,1,1,1,1');
    const path = dir.file('late-error.csv', `${rows.join('\n')}\n`);
    await expect(validateBarFile(path, 'long')).rejects.toThrow(`${path}, line 30, column timestamp`);
  });

  it('refuses a file without a single bar (a header alone, or rows without a price), naming it', async () => {
    const files = [
      dir.file('header-only.csv', 'date,AAPL,MSFT\n'),
      dir.file('header-only-long.csv', 'timestamp,symbol,open,high,low,close,volume\n\n'),
      dir.file('no-prices.csv', 'date,AAPL,MSFT\n2020-01-02,,\n2020-01-03,,\n'),
    ];
    for (const path of files) {
      const err = await validateBarFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).message).toBe(`${path}: the file holds no bars (a header and no row with a price): nothing to run`);
    }
  });
});

describe('writers', () => {
  const market = [...syntheticSlices({ seed: 11, symbols: ['AA', 'BB', 'CC'], bars: 30 })];

  it('round-trips slices through the long CSV and NDJSON layouts', async () => {
    const csv = dir.path('round.csv');
    expect(await writeLongCsv(csv, market)).toEqual({ slices: 30, rows: 90 });
    expect(await collect(readLongCsv(csv))).toEqual(market);
    const nd = dir.path('round.ndjson');
    expect(await writeNdjson(nd, market)).toEqual({ slices: 30, rows: 90 });
    expect(await collect(readNdjson(nd))).toEqual(market);
  });

  it('writes closes to the wide layout, leaving a cell empty where a symbol has no bar', async () => {
    const slices: BarSlice[] = [
      { time: '2020-01-02T00:00:00.000Z', bars: { A: bar('A', '1', '2', '1', '1.5', '3') } },
      { time: '2020-01-03T00:00:00.000Z', bars: { B: bar('B', '4', '4', '4', '4', '0') } },
    ];
    const path = dir.path('round-wide.csv');
    await writeWideCsv(path, slices);
    expect(await collect(readWideCsv(path))).toEqual([
      { time: '2020-01-02T00:00:00.000Z', bars: { A: flat('A', '1.5') } },
      { time: '2020-01-03T00:00:00.000Z', bars: { B: flat('B', '4') } },
    ]);
  });
});
