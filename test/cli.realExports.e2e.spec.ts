// Bar files as real sources and tools write them, through the shipped binary: what runs, and what is refused in words.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from './fixtures/cliRun.js';

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'portfolio.json');
writeFileSync(
  config,
  JSON.stringify({
    id: 'exports',
    name: 'exported data',
    capital: '100000',
    strategies: [{ id: 'bh', kind: 'buy-and-hold', allocation: '0.5' }],
  }),
);

const LONG = ['timestamp,symbol,open,high,low,close,volume', '2020-01-02,AAA,10,11,9,10,100', '2020-01-03,AAA,10,11,9,10.5,100'];

let files = 0;
function barFile(name: string, content: string | Buffer): { bars: string; store: string } {
  files += 1;
  const bars = join(dir, `${files}-${name}`);
  writeFileSync(bars, content);
  return { bars, store: join(dir, `${files}.db`) };
}

async function refused(name: string, content: string | Buffer): Promise<{ bars: string; err: string }> {
  const { bars, store } = barFile(name, content);
  const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${store}`]);
  expect(code).toBe(2);
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(existsSync(store)).toBe(false);
  return { bars, err };
}

describe("one symbol's OHLCV export (Yahoo Finance, Stooq) has no symbol column", () => {
  it('is refused, not read as a wide file of symbols named Open, High, Low, Close and Volume', async () => {
    const { bars, err } = await refused('AAPL.csv', [
      'Date,Open,High,Low,Close,Adj Close,Volume',
      '2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700',
      '2024-01-03,184.22,185.88,183.43,184.25,183.56,58414500',
    ].join('\n'));
    expect(err).toContain(`${bars}, line 1, column Open: the header has open, high, low and close columns but no symbol column`);
    expect(err).toContain('add a symbol column');
  });

  it('and so is a long file whose symbol column has another name', async () => {
    const { bars, err } = await refused('ticker.csv', ['date,ticker,open,high,low,close,volume', '2024-01-02,AAA,10,11,9,10,100'].join('\n'));
    expect(err).toContain(`${bars}, line 1, column open: the header has open, high, low and close columns but no symbol column`);
  });
});

describe('a file that is not UTF-8 text in lines', () => {
  it('a gzip-compressed CSV is named as such, with what to do', async () => {
    const { bars, err } = await refused('prices.csv', gzipSync(`${LONG.join('\n')}\n`));
    expect(err).toContain(`${bars}: the file is gzip-compressed: decompress it first (gunzip)`);
  });

  it('a gzip-compressed NDJSON file too', async () => {
    const { bars, err } = await refused('bars.ndjson', gzipSync('{"timestamp":"2020-01-02","symbol":"AAA","open":1,"high":1,"low":1,"close":1,"volume":1}\n'));
    expect(err).toContain(`${bars}: the file is gzip-compressed`);
  });

  it('a .gz name says to decompress it', async () => {
    const { bars, err } = await refused('prices.csv.gz', gzipSync(`${LONG.join('\n')}\n`));
    expect(err).toContain(`${bars}`);
    expect(err).toContain('decompress it first');
  });

  it('an Excel workbook (a ZIP archive) named .csv', async () => {
    const { bars, err } = await refused('book.csv', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.alloc(64)]));
    expect(err).toContain(`${bars}: the file is a ZIP archive (an Excel workbook is one): save or export it as CSV`);
  });

  it('UTF-16 text (as Excel saves "Unicode text")', async () => {
    const text = `${LONG.join('\r\n')}\r\n`;
    const { bars, err } = await refused('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(err).toContain(`${bars}: the file is UTF-16 text: save it as UTF-8`);
  });

  it('lines that end in a carriage return alone (Excel for Mac\'s "CSV (Macintosh)")', async () => {
    const { bars, err } = await refused('mac.csv', `${LONG.join('\r')}\r`);
    expect(err).toContain(`${bars}: the file's lines end in a carriage return alone (as "CSV (Macintosh)" saves them): save it with \\n or \\r\\n line ends`);
  });

  it('another binary file: NUL bytes', async () => {
    const { bars, err } = await refused('blob.csv', Buffer.from([0x00, 0x01, 0x02, 0x03, 0x0a]));
    expect(err).toContain(`${bars}, line 1: the file holds a NUL byte: it is binary (or UTF-16 text), not a UTF-8 bar file`);
  });
});

describe('CSV with another separator', () => {
  const cases = [
    { name: 'semicolons (Excel where the decimal separator is a comma), inferred as wide', file: 'semi.csv', separator: ';', shown: '";"', extra: [] },
    { name: 'semicolons, given as long', file: 'semi-long.csv', separator: ';', shown: '";"', extra: ['--format', 'long'] },
    { name: 'tabs', file: 'tabs.csv', separator: '\t', shown: 'tabs', extra: [] },
  ];
  for (const c of cases) {
    it(`${c.name}: refused saying which separator it has and what to do`, async () => {
      const { bars, store } = barFile(c.file, `${LONG.map((l) => l.replaceAll(',', c.separator)).join('\n')}\n`);
      const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${store}`, ...c.extra]);
      expect(err).toContain(`${bars}, line 1, column 1: the header is one column whose names are separated by ${c.shown}, not commas: save the file as comma-separated CSV, with a point as the decimal separator`);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(code).toBe(2);
      expect(existsSync(store)).toBe(false);
    });
  }
});

describe('numbers as spreadsheets and sites write them', () => {
  it('a thousands separator is refused saying to write the number without it', async () => {
    const { bars, err } = await refused('thousands.csv', [LONG[0], '2020-01-02,AAA,10,11,9,10,"1,234,500"'].join('\n'));
    expect(err).toContain(`${bars}, line 2, column volume: volume "1,234,500" is not a decimal number: write it without thousands separators (1234500)`);
  });

  it('a currency sign (as Nasdaq exports prices) is refused saying to write the number without it', async () => {
    const { bars, err } = await refused('dollar.csv', ['Date,AAA', '2020-01-02,$185.64'].join('\n'));
    expect(err).toContain(`${bars}, line 2, column AAA: close "$185.64" is not a decimal number: write it without the currency sign (185.64)`);
  });

  it('"null" (Yahoo Finance\'s day without a price) says how a missing price is written', async () => {
    const { bars, err } = await refused('null.csv', ['Date,AAA,BBB', '2020-01-02,10,20', '2020-01-03,null,21'].join('\n'));
    expect(err).toContain(`${bars}, line 3, column AAA: close "null" is not a decimal number: a missing price is an empty cell in a wide file; in a long file or NDJSON, leave the row out`);
  });
});
