// Pull-based reading of a bar file as CSV records or text lines: bounded memory, progress reports, read errors as DataError.
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { DataError } from '../errors.js';

/** How far a source has read its file, for progress bars. */
export interface ReadProgress {
  /** Last line handed to the parser of bars (1-based; the header is line 1). */
  readonly line: number;
  /** Bytes read from disk so far (runs ahead of `line` by at most a few buffers). */
  readonly bytesRead: number;
  /** Size of the file when it was opened. */
  readonly totalBytes: number;
}

/** Options shared by the file sources. */
export interface BarFileOptions {
  /** Called after each record or line is taken from the file (keep it cheap). */
  readonly onProgress?: (progress: ReadProgress) => void;
  /** Read buffer size in bytes (default 64 KiB): the most the source reads ahead. */
  readonly highWaterMark?: number;
}

/** One CSV record and the line it ends on. */
export interface CsvRecord {
  readonly fields: readonly string[];
  readonly line: number;
}

/** One text line without its line terminator. */
export interface TextLine {
  readonly text: string;
  readonly line: number;
}

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

/**
 * Streams CSV records (header included) from `path`, skipping empty lines and a UTF-8 BOM, trimming fields.
 * @throws DataError when the file cannot be read or the CSV is malformed (e.g. an unclosed quote), naming file and line.
 */
export async function* csvRecords(path: string, options: BarFileOptions = {}): AsyncGenerator<CsvRecord> {
  const totalBytes = await fileSize(path);
  const input = open(path, options);
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  // pipe() neither forwards source errors nor destroys the source when the consumer stops early.
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      options.onProgress?.({ line: chunk.info.lines, bytesRead: input.bytesRead, totalBytes });
      yield { fields: chunk.record, line: chunk.info.lines };
    }
  } catch (e) {
    throw readError(path, e);
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/**
 * Streams the lines of `path` (UTF-8, `\n` or `\r\n`, BOM removed), numbered from 1.
 * @throws DataError when the file cannot be read.
 */
export async function* textLines(path: string, options: BarFileOptions = {}): AsyncGenerator<TextLine> {
  const totalBytes = await fileSize(path);
  const input = open(path, options);
  input.setEncoding('utf8');
  let line = 0;
  let partial = '';
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const pieces = (partial + chunk).split('\n');
      partial = pieces.pop() ?? '';
      for (const piece of pieces) {
        line += 1;
        options.onProgress?.({ line, bytesRead: input.bytesRead, totalBytes });
        yield { text: cleanLine(piece, line), line };
      }
    }
    if (partial !== '') {
      line += 1;
      options.onProgress?.({ line, bytesRead: input.bytesRead, totalBytes });
      yield { text: cleanLine(partial, line), line };
    }
  } catch (e) {
    throw readError(path, e);
  } finally {
    input.destroy();
  }
}

/**
 * Reads the first non-empty line of `path` (at most its first 64 KiB), or undefined for an empty file.
 * @throws DataError when the file cannot be read.
 */
export async function firstLine(path: string): Promise<string | undefined> {
  for await (const l of textLines(path, { highWaterMark: DEFAULT_HIGH_WATER_MARK })) {
    if (l.text.trim() !== '') return l.text;
    if (l.line > 1000) break;
  }
  return undefined;
}

function cleanLine(piece: string, line: number): string {
  const text = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
  return line === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function open(path: string, options: BarFileOptions): ReadStream {
  return createReadStream(path, { highWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK });
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new DataError('is not a regular file', { file: path });
    return s.size;
  } catch (e) {
    throw readError(path, e);
  }
}

function readError(path: string, e: unknown): Error {
  if (e instanceof DataError) return e;
  if (e instanceof CsvError) {
    const lines = (e as CsvError & { lines?: number }).lines;
    return new DataError(`malformed CSV: ${e.message}`, lines === undefined ? { file: path } : { file: path, line: lines });
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    return new DataError(`cannot read the file (${code}): ${(e as Error).message}`, { file: path });
  }
  return e instanceof Error ? e : new DataError(String(e), { file: path });
}
