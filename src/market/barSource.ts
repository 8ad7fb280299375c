// Opening a bar file by format (given or inferred), and the pre-flight check that streams a whole file for its first DataError.
import { extname } from 'node:path';
import { ConfigError, DataError } from '../errors.js';
import type { BarSlice } from './bar.js';
import { firstLine, type BarFileOptions } from './fileInput.js';
import { readLongCsv } from './longCsv.js';
import { readNdjson } from './ndjson.js';
import { readWideCsv } from './wideCsv.js';

/** The file layouts a bar source understands. */
export const BAR_FORMATS = ['long', 'wide', 'ndjson'] as const;
/** The file layouts a bar source understands. */
export type BarFormat = (typeof BAR_FORMATS)[number];

/**
 * Where bars come from: a file and, optionally, its layout (inferred from the extension and header when omitted), or
 * bytes already read (`content`, e.g. standard input), named by `path` and whose layout must be given.
 */
export interface BarSourceSpec extends BarFileOptions {
  readonly path: string;
  readonly format?: BarFormat;
}

/** What a pre-flight check saw in a valid file. */
export interface BarFileSummary {
  readonly format: BarFormat;
  readonly slices: number;
  readonly bars: number;
  /** Bar time of the first and last slice (undefined when the file holds no bars). */
  readonly firstTime: string | undefined;
  readonly lastTime: string | undefined;
  /** Every symbol that has at least one bar, ascending. */
  readonly symbols: readonly string[];
  /** The symbols whose last bar comes before the file's last slice (delisted, or their data ends), ascending, each with its last bar time. */
  readonly ended: readonly { readonly symbol: string; readonly lastTime: string }[];
}

// Bar files are read as plain text only: a compressed one would parse as garbage.
const COMPRESSED_EXTENSIONS: readonly string[] = ['.gz', '.zip', '.bz2', '.xz', '.zst', '.7z'];

/**
 * Infers a file's format: `.ndjson`/`.jsonl` → ndjson; `.csv` → long when the header has a `symbol` column, else wide.
 * @throws ConfigError for another extension; DataError when a CSV cannot be read.
 */
export async function detectBarFormat(path: string): Promise<BarFormat> {
  const ext = extname(path).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') {
    const header = await firstLine(path);
    if (header === undefined) return 'long';
    const names = header.split(',').map((n) => n.trim().replace(/^"|"$/g, '').toLowerCase());
    return names.includes('symbol') ? 'long' : 'wide';
  }
  if (COMPRESSED_EXTENSIONS.includes(ext)) {
    throw new ConfigError(`${path} is compressed ("${ext}"): decompress it first, then give the .csv, .ndjson or .jsonl file`, 'format');
  }
  throw new ConfigError(
    `cannot infer the bar format of ${path} from its extension "${ext}": name it .csv, .ndjson or .jsonl, or give format long, wide or ndjson`,
    'format',
  );
}

/**
 * Opens a bar file as a lazy, pull-based stream of slices (nothing is read until the first slice is asked for).
 * @throws ConfigError when the format cannot be inferred; DataError (file, line, column) on bad data, as it is reached.
 */
export async function* openBarSource(spec: BarSourceSpec): AsyncGenerator<BarSlice, void, undefined> {
  const format = await formatOf(spec.path, spec.format, spec);
  yield* readerOf(format)(spec.path, spec);
}

/**
 * Streams through a whole bar file and returns its summary, so that a run can refuse a bad file before it appends anything.
 * @throws DataError (file, line, column) for the first problem in the file, or (file) for a file without a single bar; ConfigError when the format cannot be inferred.
 */
export async function validateBarFile(path: string, format?: BarFormat, options: BarFileOptions = {}): Promise<BarFileSummary> {
  const resolved = await formatOf(path, format, options);
  let slices = 0;
  let bars = 0;
  let firstTime: string | undefined;
  let lastTime: string | undefined;
  // Each symbol's last bar time: a map over symbols, not bars, so memory stays flat however long the file.
  const lastTimes = new Map<string, string>();
  for await (const slice of readerOf(resolved)(path, options)) {
    slices += 1;
    firstTime ??= slice.time;
    lastTime = slice.time;
    for (const symbol of Object.keys(slice.bars)) {
      bars += 1;
      lastTimes.set(symbol, slice.time);
    }
  }
  // A run over it would open the portfolio and stop at once: refused like an empty file, before anything is written.
  if (slices === 0) throw new DataError('the file holds no bars (a header and no row with a price): nothing to run', { file: path });
  const symbols = [...lastTimes.keys()].sort(ascending);
  const ended = symbols.filter((symbol) => lastTimes.get(symbol) !== lastTime).map((symbol) => ({ symbol, lastTime: lastTimes.get(symbol) as string }));
  return { format: resolved, slices, bars, firstTime, lastTime, symbols, ended };
}

/** The format given, else the one inferred from the file; bytes already read (stdin) have no file name to infer it from. */
async function formatOf(path: string, format: BarFormat | undefined, options: BarFileOptions): Promise<BarFormat> {
  if (format !== undefined) return format;
  if (options.content !== undefined) {
    throw new ConfigError(`cannot infer the bar format of ${path}, which has no file name: give format long, wide or ndjson`, 'format');
  }
  return detectBarFormat(path);
}

function readerOf(format: BarFormat): (path: string, options: BarFileOptions) => AsyncGenerator<BarSlice, void, undefined> {
  switch (format) {
    case 'long':
      return readLongCsv;
    case 'wide':
      return readWideCsv;
    case 'ndjson':
      return readNdjson;
  }
  // Reachable from untyped configuration only.
  throw new ConfigError(`unknown bar format "${String(format)}" (expected ${BAR_FORMATS.join(', ')})`, 'format');
}

function ascending(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
