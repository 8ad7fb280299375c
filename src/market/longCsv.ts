// The long CSV source: one bar per row (timestamp,symbol,open,high,low,close,volume in any order), one slice per timestamp.
import { DataError } from '../errors.js';
import type { BarSlice } from './bar.js';
import { parseBarTime } from './barTime.js';
import { checkedBar, type BarNumberField } from './barValidation.js';
import { checkFieldCount, csvHeader, emptyFileError } from './csvHeader.js';
import { csvRecords, type BarFileOptions, type CsvRecord } from './fileInput.js';
import { SliceGrouper } from './sliceGrouping.js';

/** Columns a long CSV must have (any order, case-insensitive; other columns are ignored). */
export const LONG_CSV_COLUMNS = ['timestamp', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Streams a long CSV as slices, one per timestamp, validating every row before its slice is yielded.
 * @throws DataError (file, line, column) on the first malformed, inconsistent or out-of-order row.
 */
export async function* readLongCsv(path: string, options: BarFileOptions = {}): AsyncGenerator<BarSlice, void, undefined> {
  const records = csvRecords(path, options);
  try {
    yield* longSlices(path, records);
  } finally {
    // Closes the file when the header check throws before the loop, or the consumer stops early.
    await records.return(undefined);
  }
}

async function* longSlices(path: string, records: AsyncGenerator<CsvRecord>): AsyncGenerator<BarSlice, void, undefined> {
  const first = await records.next();
  if (first.done === true) throw emptyFileError(path, LONG_CSV_COLUMNS.join(','));
  const header = csvHeader(path, first.value.line, first.value.fields, LONG_CSV_COLUMNS);
  const pos = (name: (typeof LONG_CSV_COLUMNS)[number]): number => header.index.get(name) ?? 0;
  const [iTime, iSymbol, iOpen, iHigh, iLow, iClose, iVolume] = LONG_CSV_COLUMNS.map(pos) as [
    number, number, number, number, number, number, number,
  ];
  const nameOf = (i: number): string => header.names[i] ?? String(i + 1);
  const columnOf = (field: BarNumberField | 'symbol'): string => nameOf(pos(field));
  const grouper = new SliceGrouper(path, nameOf(iTime));
  for await (const { fields, line } of records) {
    checkFieldCount(path, line, fields, header);
    const timeText = fields[iTime] ?? '';
    const time = parseBarTime(timeText);
    if (!time.ok) throw new DataError(time.reason, { file: path, line, column: nameOf(iTime) });
    const bar = checkedBar(
      {
        symbol: fields[iSymbol] ?? '',
        open: fields[iOpen] ?? '',
        high: fields[iHigh] ?? '',
        low: fields[iLow] ?? '',
        close: fields[iClose] ?? '',
        volume: fields[iVolume] ?? '',
      },
      { file: path, line, columnOf },
    );
    const done = grouper.at(time.ms, line);
    grouper.add(bar, line, nameOf(iSymbol));
    if (done !== undefined) yield done;
  }
  const last = grouper.finish();
  if (last !== undefined) yield last;
}
