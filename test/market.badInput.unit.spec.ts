// Every kind of bad bar input is a DataError that names the file, the line and the column.
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/errors.js';
import { readLongCsv, readNdjson, readWideCsv } from '../src/market/index.js';
import { collect, expectDataErrorAt, scratchDir } from './fixtures/market/barFiles.js';

const dir = scratchDir();
afterAll(() => dir.cleanup());

const HEADER = 'timestamp,symbol,open,high,low,close,volume';
const GOOD = '2020-01-02,AAPL,10,11,9,10.5,100';

interface Case {
  readonly name: string;
  readonly lines: readonly string[];
  readonly line: number;
  readonly column: string;
  readonly says: string;
}

const longCases: readonly Case[] = [
  { name: 'an unparseable number', lines: [HEADER, GOOD, '2020-01-02,MSFT,10,11,9,1O.5,100'], line: 3, column: 'close', says: '"1O.5" is not a decimal' },
  { name: 'an empty number', lines: [HEADER, '2020-01-02,MSFT,10,11,9,10,'], line: 2, column: 'volume', says: 'volume is empty' },
  { name: 'a zero price', lines: [HEADER, '2020-01-02,MSFT,0,11,9,10,100'], line: 2, column: 'open', says: 'not a positive price' },
  { name: 'a negative price', lines: [HEADER, '2020-01-02,MSFT,10,11,-9,10,100'], line: 2, column: 'low', says: 'not a positive price' },
  { name: 'a negative volume', lines: [HEADER, '2020-01-02,MSFT,10,11,9,10,-1'], line: 2, column: 'volume', says: 'negative' },
  { name: 'high below low', lines: [HEADER, '2020-01-02,MSFT,10,9,11,10,1'], line: 2, column: 'high', says: 'high 9 is below low 11' },
  { name: 'close above high', lines: [HEADER, '2020-01-02,MSFT,10,11,9,11.01,1'], line: 2, column: 'close', says: 'outside [low 9, high 11]' },
  { name: 'open below low', lines: [HEADER, '2020-01-02,MSFT,8.99,11,9,10,1'], line: 2, column: 'open', says: 'outside' },
  { name: 'an unparseable timestamp', lines: [HEADER, GOOD, '2020-02-30,MSFT,10,11,9,10,1'], line: 3, column: 'timestamp', says: 'not a valid calendar date' },
  { name: 'an ambiguous all-digit timestamp', lines: [HEADER, '20200102,MSFT,10,11,9,10,1'], line: 2, column: 'timestamp', says: 'epoch milliseconds need' },
  { name: 'a timestamp that goes backwards', lines: [HEADER, GOOD, '2020-01-01,MSFT,10,11,9,10,1'], line: 3, column: 'timestamp', says: 'is not after 2020-01-02T00:00:00.000Z (line 2)' },
  {
    name: 'a timestamp repeated after another came between',
    lines: [HEADER, GOOD, '2020-01-03,AAPL,10,11,9,10,1', '2020-01-02,MSFT,10,11,9,10,1'],
    line: 4,
    column: 'timestamp',
    says: 'must strictly increase',
  },
  { name: 'a duplicate (time, symbol)', lines: [HEADER, GOOD, '2020-01-02T00:00:00Z,AAPL,10,11,9,10,1'], line: 3, column: 'symbol', says: 'duplicate bar for AAPL' },
  { name: 'an empty symbol', lines: [HEADER, '2020-01-02,,10,11,9,10,1'], line: 2, column: 'symbol', says: 'symbol is empty' },
  { name: 'a missing column', lines: ['timestamp,symbol,open,high,low,close', '2020-01-02,MSFT,10,11,9,10'], line: 1, column: 'volume', says: 'missing column "volume"' },
  { name: 'a duplicate column', lines: [`${HEADER},Close`], line: 1, column: 'Close', says: 'duplicate column' },
  { name: 'no header (data on line 1)', lines: [GOOD], line: 1, column: 'timestamp', says: 'missing column "timestamp"' },
  { name: 'an empty file', lines: [], line: 1, column: 'timestamp', says: 'the file is empty' },
  { name: 'a short row', lines: [HEADER, '2020-01-02,MSFT,10,11,9'], line: 2, column: 'close', says: 'the row has 5 fields but the header has 7' },
  { name: 'a long row', lines: [HEADER, `${GOOD},x`], line: 2, column: '8', says: 'the row has 8 fields' },
];

describe('readLongCsv rejects', () => {
  for (const c of longCases) {
    it(c.name, async () => {
      const file = dir.file(`long-${c.name.replace(/\W+/g, '-')}.csv`, c.lines.length === 0 ? '' : `${c.lines.join('\n')}\n`);
      await expectDataErrorAt(readLongCsv(file), { file, line: c.line, column: c.column, says: c.says });
    });
  }

  it('yields the good slices before the bad line, then fails (the pre-flight check exists for this)', async () => {
    const file = dir.file('long-late.csv', `${[HEADER, GOOD, '2020-01-03,AAPL,10,11,9,10,1', '2020-01-04,AAPL,10,11,9,x,1'].join('\n')}\n`);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const s of readLongCsv(file)) seen.push(s.time);
      })(),
    ).rejects.toThrow(`${file}, line 4, column close`);
    expect(seen).toEqual(['2020-01-02T00:00:00.000Z']);
  });

  it('a malformed CSV quote, naming file and line', async () => {
    const file = dir.file('long-quote.csv', `${HEADER}\n2020-01-02,"AAPL,10,11,9,10,1\n`);
    const err = await collect(readLongCsv(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`${file}, line 2, column symbol: a quote opens a field here and is never closed, so the rest of the file would be one field`);
  });

  it('a missing file, naming it', async () => {
    const file = dir.path('absent.csv');
    await expect(collect(readLongCsv(file))).rejects.toThrow(`${file}: cannot read the file (ENOENT)`);
  });

  it('a file that cannot be read says why in words, once, not with the system error repeated after its code', async () => {
    const file = dir.path('absent.csv');
    const err = await collect(readLongCsv(file)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`${file}: cannot read the file (ENOENT): there is no such file`);
  });
});

const wideCases: readonly Case[] = [
  { name: 'an unparseable price', lines: ['date,AAPL,MSFT', '2020-01-02,1,2', '2020-01-03,1,n/a'], line: 3, column: 'MSFT', says: '"n/a" is not a decimal' },
  { name: 'a zero price', lines: ['date,AAPL,MSFT', '2020-01-02,0,2'], line: 2, column: 'AAPL', says: 'not a positive price' },
  { name: 'a negative price', lines: ['date,AAPL,MSFT', '2020-01-02,1,-2'], line: 2, column: 'MSFT', says: 'not a positive price' },
  { name: 'an unparseable date', lines: ['Date,AAPL', '02/01/2020,1'], line: 2, column: 'Date', says: 'is not a timestamp' },
  { name: 'a date that goes backwards', lines: ['date,AAPL', '2020-01-03,1', '2020-01-02,1'], line: 3, column: 'date', says: 'dates must strictly increase' },
  { name: 'a repeated date', lines: ['date,AAPL', '2020-01-02,1', '2020-01-03,1', '2020-01-03,2'], line: 4, column: 'date', says: 'is not after' },
  { name: 'a duplicate symbol column', lines: ['date,AAPL,MSFT,AAPL', '2020-01-02,1,2,3'], line: 1, column: 'AAPL', says: 'duplicate column' },
  { name: 'a header without symbols', lines: ['date', '2020-01-02'], line: 1, column: 'date', says: 'no symbol columns' },
  { name: 'no header (data on line 1)', lines: ['2020-01-02,1,2', '2020-01-03,1,2'], line: 1, column: '1', says: 'data, not a header' },
  { name: 'an unnamed symbol column', lines: ['date,AAPL,', '2020-01-02,1,2'], line: 1, column: '3', says: 'has no name' },
  { name: 'an empty file', lines: [], line: 1, column: 'date', says: 'the file is empty' },
  { name: 'a short row', lines: ['date,AAPL,MSFT', '2020-01-02,1'], line: 2, column: 'MSFT', says: 'the row has 2 fields' },
  {
    name: 'an unclosed quote, at the line and column where it opens (not the end of the file)',
    lines: ['date,AAPL,MSFT', '2020-01-02,1,2', '2020-01-03,1,"2', '2020-01-04,1,2', '2020-01-05,1,2', '2020-01-06,1,2'],
    line: 3,
    column: 'MSFT',
    says: 'a quote opens a field here and is never closed',
  },
  { name: 'text after a closing quote', lines: ['date,AAPL,MSFT', '2020-01-02,1,2', '2020-01-03,"1"x,2', '2020-01-04,1,2'], line: 3, column: 'AAPL', says: 'text after its closing quote' },
];

describe('readWideCsv rejects', () => {
  for (const c of wideCases) {
    it(c.name, async () => {
      const file = dir.file(`wide-${c.name.replace(/\W+/g, '-')}.csv`, c.lines.length === 0 ? '' : `${c.lines.join('\n')}\n`);
      const err = await expectDataErrorAt(readWideCsv(file), { file, line: c.line, column: c.column, says: c.says });
      expect(err.message).not.toMatch(/CSV_|INVALID_/); // csv-parse's codes mean nothing to a user
    });
  }

  it('an unclosed quote whose rest of the file passes the line limit, at the line where it opens', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `2020-02-${String(i % 28 + 1).padStart(2, '0')},1,2`);
    const file = dir.file('wide-unclosed-long.csv', `date,AAPL,MSFT\n2020-01-02,1,2\n2020-01-03,"1,2\n${rows.join('\n')}\n`);
    await expectDataErrorAt(readWideCsv(file, { highWaterMark: 16, maxLineLength: 100 }), { file, line: 3, column: 'AAPL', says: 'a quote opens a field here and is not closed within 100 characters' });
  });
});

const j = (fields: Record<string, unknown>): string =>
  JSON.stringify({ timestamp: '2020-01-02', symbol: 'AAPL', open: '10', high: '11', low: '9', close: '10.5', volume: '100', ...fields });

const ndjsonCases: readonly Case[] = [
  { name: 'a line that is not JSON', lines: [j({}), '{"timestamp": "2020-01-02", oops}'], line: 2, column: 'char 29', says: 'not a JSON object' },
  { name: 'a JSON array', lines: ['[1,2]'], line: 1, column: 'char 1', says: 'expected a JSON object' },
  { name: 'a repeated member', lines: ['{"symbol":"A","symbol":"B"}'], line: 1, column: 'char 15', says: 'appears twice' },
  { name: 'text after the object', lines: [`${j({})} x`], line: 1, column: `char ${j({}).length + 2}`, says: 'unexpected text' },
  { name: 'a missing member', lines: [JSON.stringify({ timestamp: '2020-01-02', symbol: 'A', open: '1', high: '1', low: '1', close: '1' })], line: 1, column: 'volume', says: 'missing member "volume"' },
  { name: 'a null price', lines: [j({ close: null })], line: 1, column: 'close', says: '"close" is null' },
  { name: 'a numeric symbol', lines: [j({ symbol: 7 })], line: 1, column: 'symbol', says: 'expected a string' },
  { name: 'an unparseable number', lines: [j({ high: '11,5' })], line: 1, column: 'high', says: '"11,5" is not a decimal' },
  { name: 'a non-positive price', lines: [j({ low: 0 })], line: 1, column: 'low', says: 'not a positive price' },
  { name: 'a negative volume', lines: [j({ volume: -5 })], line: 1, column: 'volume', says: 'negative' },
  { name: 'high below low', lines: [j({ high: 8, low: 9, open: 9, close: 9 })], line: 1, column: 'high', says: 'below low' },
  { name: 'close outside [low, high]', lines: [j({ close: '8.99' })], line: 1, column: 'close', says: 'outside' },
  { name: 'an unparseable timestamp', lines: [j({}), j({ timestamp: '2020-01-02T25:00' })], line: 2, column: 'timestamp', says: 'not a valid calendar date' },
  { name: 'a timestamp that goes backwards', lines: [j({}), '', j({ timestamp: '2019-12-31', symbol: 'B' })], line: 3, column: 'timestamp', says: 'is not after' },
  { name: 'a duplicate (time, symbol)', lines: [j({}), j({ timestamp: 1577923200000 })], line: 2, column: 'symbol', says: 'duplicate bar for AAPL' },
  { name: 'an empty file', lines: ['', '  '], line: 1, column: 'timestamp', says: 'the file is empty' },
];

describe('readNdjson rejects', () => {
  for (const c of ndjsonCases) {
    it(c.name, async () => {
      const file = dir.file(`nd-${c.name.replace(/\W+/g, '-')}.ndjson`, `${c.lines.join('\n')}\n`);
      await expectDataErrorAt(readNdjson(file), { file, line: c.line, column: c.column, says: c.says });
    });
  }
});
