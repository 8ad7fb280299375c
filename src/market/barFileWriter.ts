// Writing slices to the long CSV, wide CSV and NDJSON layouts the sources read (for the demo, tests and exports).
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BarSlice } from './bar.js';
import { LONG_CSV_COLUMNS } from './longCsv.js';

/** Slices from memory or from a stream. */
export type SliceInput = Iterable<BarSlice> | AsyncIterable<BarSlice>;

/** How much was written. */
export interface WriteSummary {
  readonly slices: number;
  readonly rows: number;
}

/** Writes slices as a long CSV (`timestamp,symbol,open,high,low,close,volume`, one row per bar), streaming with backpressure. */
export async function writeLongCsv(path: string, slices: SliceInput): Promise<WriteSummary> {
  const counts = { slices: 0, rows: 0 };
  async function* lines(): AsyncGenerator<string> {
    yield `${LONG_CSV_COLUMNS.join(',')}\n`;
    for await (const slice of slices) {
      counts.slices += 1;
      let chunk = '';
      for (const bar of Object.values(slice.bars)) {
        counts.rows += 1;
        chunk += `${slice.time},${csvCell(bar.symbol)},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`;
      }
      yield chunk;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(path));
  return counts;
}

/**
 * Writes slices' closes as a wide CSV (`date,SYM1,SYM2,…`, an empty cell where a symbol has no bar). The columns are
 * `symbols` when given, else every symbol seen, ascending; without `symbols` the slices are held in memory first.
 */
export async function writeWideCsv(path: string, slices: SliceInput, symbols?: readonly string[]): Promise<WriteSummary> {
  let columns = symbols;
  let source: SliceInput = slices;
  if (columns === undefined) {
    const held: BarSlice[] = [];
    const seen = new Set<string>();
    for await (const slice of slices) {
      held.push(slice);
      for (const s of Object.keys(slice.bars)) seen.add(s);
    }
    columns = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    source = held;
  }
  const header = columns;
  const counts = { slices: 0, rows: 0 };
  async function* lines(): AsyncGenerator<string> {
    yield `date,${header.map(csvCell).join(',')}\n`;
    for await (const slice of source) {
      counts.slices += 1;
      counts.rows += 1;
      yield `${slice.time},${header.map((s) => slice.bars[s]?.close ?? '').join(',')}\n`;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(path));
  return counts;
}

/** Writes slices as NDJSON, one bar object per line with every number as a decimal string. */
export async function writeNdjson(path: string, slices: SliceInput): Promise<WriteSummary> {
  const counts = { slices: 0, rows: 0 };
  async function* lines(): AsyncGenerator<string> {
    for await (const slice of slices) {
      counts.slices += 1;
      let chunk = '';
      for (const bar of Object.values(slice.bars)) {
        counts.rows += 1;
        const { symbol, open, high, low, close, volume } = bar;
        chunk += `${JSON.stringify({ timestamp: slice.time, symbol, open, high, low, close, volume })}\n`;
      }
      yield chunk;
    }
  }
  await pipeline(Readable.from(lines()), createWriteStream(path));
  return counts;
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
