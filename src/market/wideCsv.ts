// The wide CSV source: the usual adjusted-close export `date,SYM1,SYM2,…`, one slice per row, an empty cell meaning no bar.
import { DataError } from '../errors.js';
import type { Bar, BarSlice } from './bar.js';
import { formatBarTime, parseBarTime } from './barTime.js';
import { checkedPrice, symbolProblem } from './barValidation.js';
import { checkFieldCount, csvHeader, emptyFileError, type CsvHeader } from './csvHeader.js';
import { csvRecordBatches, type BarFileOptions } from './fileInput.js';
import { LONG_CSV_COLUMNS } from './longCsv.js';
import { sliceOf } from './sliceGrouping.js';
import { withOrigin } from './sliceOrigin.js';

/**
 * Streams a wide CSV as slices: the first column is the date (any header name), each other column a symbol's price;
 * a bar has open = high = low = close = the price and volume "0". Rows with no price at all yield no slice.
 * @throws DataError (file, line, column) for a missing header, a malformed or non-positive price, or a date that does not increase.
 */
export async function* readWideCsv(path: string, options: BarFileOptions = {}): AsyncGenerator<BarSlice, void, undefined> {
  let columns: WideColumns | undefined;
  let previous: { ms: number; line: number } | undefined;
  // for await closes the file when a check throws or the consumer stops early.
  for await (const batch of csvRecordBatches(path, options)) {
    for (const { fields, line } of batch) {
      if (columns === undefined) {
        columns = wideColumns(path, line, fields);
        continue;
      }
      const { header, timeColumn, symbols } = columns;
      checkFieldCount(path, line, fields, header);
      const time = parseBarTime(fields[0] ?? '');
      if (!time.ok) throw new DataError(time.reason, { file: path, line, column: timeColumn });
      if (previous !== undefined && time.ms <= previous.ms) {
        throw new DataError(
          `date ${formatBarTime(time.ms)} is not after ${formatBarTime(previous.ms)} (line ${previous.line}); dates must strictly increase: sort the rows oldest first`,
          { file: path, line, column: timeColumn },
        );
      }
      previous = { ms: time.ms, line };
      const bars: Bar[] = [];
      symbols.forEach((symbol, i) => {
        const cell = fields[i + 1] ?? '';
        if (cell === '') return;
        const price = checkedPrice(cell, path, line, symbol);
        bars.push({ symbol, open: price, high: price, low: price, close: price, volume: '0' });
      });
      if (bars.length > 0) yield withOrigin(sliceOf(time.ms, bars), { file: path, line, timeColumn, closeColumn: null, lines: null });
    }
  }
  if (columns === undefined) throw emptyFileError(path, 'date,SYMBOL,…');
}

interface WideColumns {
  readonly header: CsvHeader;
  readonly timeColumn: string;
  readonly symbols: readonly string[];
}

function wideColumns(path: string, line: number, cells: readonly string[]): WideColumns {
  const header = csvHeader(path, line, cells, [], true);
  const timeColumn = header.names[0] === '' ? '1' : (header.names[0] ?? '1');
  if (header.names.length < 2) {
    throw new DataError('the header has no symbol columns (expected "date,SYMBOL,…")', { file: path, line, column: timeColumn });
  }
  if (parseBarTime(header.names[0] ?? '').ok) {
    throw new DataError('the first line is data, not a header (expected "date,SYMBOL,…")', { file: path, line, column: '1' });
  }
  const symbols = header.names.slice(1);
  for (const symbol of symbols) {
    const problem = symbolProblem(symbol);
    if (problem !== null) throw new DataError(problem, { file: path, line, column: symbol });
  }
  const ohlc = ohlcColumns(symbols);
  if (ohlc !== null) {
    throw new DataError(
      "the header has open, high, low and close columns but no symbol column: it holds one symbol's bars (as Yahoo Finance " +
        'exports them), not the wide format (a date column, then one close column per symbol); to read it as the long format, ' +
        `add a symbol column and name the time column timestamp (${LONG_CSV_COLUMNS.join(',')})`,
      { file: path, line, column: ohlc },
    );
  }
  return { header, timeColumn, symbols };
}

/**
 * The first of a header's open, high, low and close columns when it has all four (any case), else null. One of them
 * alone can be a ticker (LOW, OPEN); all four together are a bar file read as wide, whose columns would trade as stocks.
 */
function ohlcColumns(symbols: readonly string[]): string | null {
  const fields = ['open', 'high', 'low', 'close'];
  const found = symbols.filter((s) => fields.includes(s.toLowerCase()));
  const names = new Set(found.map((s) => s.toLowerCase()));
  return fields.every((f) => names.has(f)) ? (found[0] ?? null) : null;
}
