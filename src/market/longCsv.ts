// The long CSV source: one bar per row (timestamp,symbol,open,high,low,close,volume in any order), one slice per timestamp.
import { DataError } from '../errors.js';
import type { BarSlice } from './bar.js';
import { barTimeParser } from './barTime.js';
import { checkedBar, type BarNumberField } from './barValidation.js';
import { checkFieldCount, csvHeader, emptyFileError, type CsvHeader } from './csvHeader.js';
import { csvRecordBatches, type BarFileOptions } from './fileInput.js';
import { SliceGrouper } from './sliceGrouping.js';

/** Columns a long CSV must have (any order, case-insensitive; other columns are ignored). */
export const LONG_CSV_COLUMNS = ['timestamp', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Streams a long CSV as slices, one per timestamp, validating every row before its slice is yielded.
 * @throws DataError (file, line, column) on the first malformed, inconsistent or out-of-order row.
 */
export async function* readLongCsv(path: string, options: BarFileOptions = {}): AsyncGenerator<BarSlice, void, undefined> {
  let columns: LongColumns | undefined;
  let grouper: SliceGrouper | undefined;
  const parseTime = barTimeParser();
  // for await closes the file when a check throws or the consumer stops early.
  for await (const batch of csvRecordBatches(path, options)) {
    for (const { fields, line } of batch) {
      if (columns === undefined || grouper === undefined) {
        columns = longColumns(path, line, fields);
        grouper = new SliceGrouper(path, columns.name(columns.timestamp), columns.name(columns.close));
        continue;
      }
      const c = columns;
      checkFieldCount(path, line, fields, c.header);
      const time = parseTime(fields[c.timestamp] ?? '');
      if (!time.ok) throw new DataError(time.reason, { file: path, line, column: c.name(c.timestamp) });
      const bar = checkedBar(
        {
          symbol: fields[c.symbol] ?? '',
          open: fields[c.open] ?? '',
          high: fields[c.high] ?? '',
          low: fields[c.low] ?? '',
          close: fields[c.close] ?? '',
          volume: fields[c.volume] ?? '',
        },
        { file: path, line, columnOf: c.columnOf },
      );
      const done = grouper.at(time.ms, line);
      grouper.add(bar, line, c.name(c.symbol));
      if (done !== undefined) yield done;
    }
  }
  if (grouper === undefined) throw emptyFileError(path, LONG_CSV_COLUMNS.join(','));
  const last = grouper.finish();
  if (last !== undefined) yield last;
}

interface LongColumns extends Record<(typeof LONG_CSV_COLUMNS)[number], number> {
  readonly header: CsvHeader;
  readonly name: (index: number) => string;
  readonly columnOf: (field: BarNumberField | 'symbol') => string;
}

function longColumns(path: string, line: number, cells: readonly string[]): LongColumns {
  const header = csvHeader(path, line, cells, LONG_CSV_COLUMNS);
  const pos = (field: string): number => header.index.get(field) ?? 0;
  const name = (index: number): string => header.names[index] ?? String(index + 1);
  return {
    header,
    name,
    columnOf: (field) => name(pos(field)),
    timestamp: pos('timestamp'),
    symbol: pos('symbol'),
    open: pos('open'),
    high: pos('high'),
    low: pos('low'),
    close: pos('close'),
    volume: pos('volume'),
  };
}
