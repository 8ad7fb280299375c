// Pull-based reading of a bar file as CSV records or text lines: bounded memory, progress reports, read errors as DataError.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { DataError } from '../errors.js';
import { readErrorWords } from '../fileAccess.js';

/** How far a source has read its file, for progress bars. */
export interface ReadProgress {
  /** Lines handed on to the bar parser so far (the header is line 1). */
  readonly line: number;
  /** Bytes read from disk so far. */
  readonly bytesRead: number;
  /** Size of the file when it was opened. */
  readonly totalBytes: number;
}

/** Options shared by the file sources. */
export interface BarFileOptions {
  /** Called after each read buffer has been handed on to the bar parser (for progress bars). */
  readonly onProgress?: (progress: ReadProgress) => void;
  /** Read buffer size in bytes (default 64 KiB): the most the source reads ahead. */
  readonly highWaterMark?: number;
  /** Longest line accepted, in characters (default {@link DEFAULT_MAX_LINE_LENGTH}); a longer one is a DataError. */
  readonly maxLineLength?: number;
  /**
   * The input's bytes, already read: read from them instead of opening the path, which then only names the input in
   * errors (`stdin`). Standard input can be read only once, and a run reads its bars twice (checked, then run).
   */
  readonly content?: Uint8Array;
}

/**
 * Default limit on a line's length: far beyond any bar line or the header of a wide file with thousands of symbols,
 * and small enough that a file with no line ends fails at once instead of being held in memory.
 */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

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
const CSV_OPTIONS = { info: true, relax_column_count: true, skip_empty_lines: true, trim: true } as const;

/**
 * Streams CSV records (header included) from `path` one read buffer at a time, skipping empty lines and a UTF-8 BOM and
 * trimming fields. A buffer is cut at its last line end outside quotes and parsed with csv-parse, so quoted fields
 * (even multi-line ones) parse exactly while memory stays at one buffer.
 * @throws DataError when the file cannot be read or the CSV is malformed (e.g. an unclosed quote), naming file and line.
 */
export async function* csvRecordBatches(path: string, options: BarFileOptions = {}): AsyncGenerator<readonly CsvRecord[]> {
  let linesBefore = 0;
  // The first record, so a CSV error can name its column.
  let header: readonly string[] | undefined;
  const parseText = (text: string): CsvRecord[] => {
    const base = linesBefore;
    linesBefore += countNewlines(text);
    const records = text.includes('"') ? quotedRecords(path, text, base, header) : plainRecords(text, base);
    header ??= records[0]?.fields;
    return records;
  };
  // Each character is scanned once: the text after the last record end waits in `pending` (with the quote parity
  // reached so far), so a file whose lines never end costs linear time and fails at the line-length limit.
  const limit = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const pending: string[] = [];
  let pendingLength = 0;
  let inQuotes = false;
  // A record past the limit inside quotes is an unclosed quote far more often than a line that long: named as such.
  const recordTooLong = (text: string): DataError => {
    const open = inQuotes ? unclosedQuote(text) : null;
    if (open === null) return lineTooLong(path, linesBefore + 1, text, limit);
    return new DataError(`a quote opens a field here and is not closed within ${limit} characters`, {
      file: path,
      line: linesBefore + open.line,
      column: columnName(header, open.field),
    });
  };
  let read: FileChunk | undefined;
  for await (const chunk of fileChunks(path, options)) {
    read = chunk;
    const scan = scanRecordEnds(chunk.text, inQuotes);
    inQuotes = scan.inQuotes;
    if (scan.lastEnd < 0) {
      pending.push(chunk.text);
      pendingLength += chunk.text.length;
      if (pendingLength > limit) throw recordTooLong(pending.join(''));
      continue;
    }
    const complete = pending.join('') + chunk.text.slice(0, scan.lastEnd + 1);
    const rest = chunk.text.slice(scan.lastEnd + 1);
    pending.length = 0;
    pending.push(rest);
    pendingLength = rest.length;
    const records = parseText(complete);
    if (pendingLength > limit) throw recordTooLong(rest);
    report(options, linesBefore, chunk);
    if (records.length > 0) yield records;
  }
  const carry = pending.join('');
  if (carry.trim() !== '') {
    const records = parseText(carry);
    if (read !== undefined) report(options, linesBefore, read);
    if (records.length > 0) yield records;
  }
}

/**
 * Streams the lines of `path` (UTF-8, `\n` or `\r\n`, BOM removed), numbered from 1, one read buffer at a time.
 * @throws DataError when the file cannot be read.
 */
export async function* textLineBatches(path: string, options: BarFileOptions = {}): AsyncGenerator<readonly TextLine[]> {
  const limit = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  let line = 0;
  // The unfinished last line, in pieces: joined once when its end arrives, so reading stays linear in the file's size.
  const partial: string[] = [];
  let partialLength = 0;
  const numbered = (pieces: readonly string[]): TextLine[] =>
    pieces.map((piece) => {
      line += 1;
      return { text: piece.endsWith('\r') ? piece.slice(0, -1) : piece, line };
    });
  let read: FileChunk | undefined;
  for await (const chunk of fileChunks(path, options)) {
    read = chunk;
    const end = chunk.text.lastIndexOf('\n');
    if (end < 0) {
      partial.push(chunk.text);
      partialLength += chunk.text.length;
      if (partialLength > limit) throw lineTooLong(path, line + 1, partial.join(''), limit);
      continue;
    }
    const pieces = (partial.join('') + chunk.text.slice(0, end)).split('\n');
    const rest = chunk.text.slice(end + 1);
    partial.length = 0;
    partial.push(rest);
    partialLength = rest.length;
    for (const piece of pieces) {
      if (piece.length > limit) throw lineTooLong(path, line + 1 + pieces.indexOf(piece), piece, limit);
    }
    const lines = numbered(pieces);
    if (partialLength > limit) throw lineTooLong(path, line + 1, rest, limit);
    report(options, line, chunk);
    if (lines.length > 0) yield lines;
  }
  const last = partial.join('');
  if (last !== '') {
    const lines = numbered([last]);
    if (read !== undefined) report(options, line, read);
    yield lines;
  }
}

/**
 * The error for a line past the limit: it quotes only the line's start, never the whole line, and no length (only the
 * part read so far is known, which would understate it).
 */
function lineTooLong(path: string, line: number, text: string, limit: number): DataError {
  return new DataError(`line is longer than ${limit} characters (it starts ${JSON.stringify(text.slice(0, LINE_START_SHOWN))}…); is this a bar file with line ends?`, { file: path, line });
}

const LINE_START_SHOWN = 60;

interface FileChunk {
  readonly text: string;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

function report(options: BarFileOptions, line: number, chunk: FileChunk): void {
  options.onProgress?.({ line, bytesRead: chunk.bytesRead, totalBytes: chunk.totalBytes });
}

// Decoded text of the file, BOM removed, one read buffer at a time; the file is closed however iteration ends.
async function* fileChunks(path: string, options: BarFileOptions): AsyncGenerator<FileChunk> {
  if (options.content !== undefined) {
    yield* contentChunks(path, options.content, options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    return;
  }
  const totalBytes = await fileSize(path);
  await refuseNonText(path);
  const input = createReadStream(path, { highWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK });
  input.setEncoding('utf8');
  let first = true;
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const text = first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
      first = false;
      yield { text, bytesRead: input.bytesRead, totalBytes };
    }
  } catch (e) {
    throw readError(path, e, 0);
  } finally {
    input.destroy();
  }
}

// As fileChunks, over bytes already read (named `name` in errors): the same checks, the same pieces.
async function* contentChunks(name: string, content: Uint8Array, size: number): AsyncGenerator<FileChunk> {
  refuseNonTextBytes(name, content.subarray(0, SNIFFED_BYTES), 'input');
  const decoder = new StringDecoder('utf8');
  let first = true;
  for (let at = 0; at < content.length; at += size) {
    const end = Math.min(at + size, content.length);
    let chunk = decoder.write(Buffer.from(content.buffer, content.byteOffset + at, end - at));
    if (end === content.length) chunk += decoder.end();
    const text = first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
    first = false;
    yield { text, bytesRead: end, totalBytes: content.length };
  }
}

// Without quotes a record is a line and a field is the text between commas: split directly, keeping exact line numbers.
function plainRecords(text: string, base: number): CsvRecord[] {
  const out: CsvRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i] ?? '';
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    out.push({ fields: line.split(',').map((f) => f.trim()), line: base + i + 1 });
  }
  return out;
}

function quotedRecords(path: string, text: string, base: number, header: readonly string[] | undefined): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parseCsv(text, CSV_OPTIONS) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    if (e instanceof CsvError) throw csvError(path, e, text, base, header ?? headerOf(text, base));
    throw readError(path, e, base);
  }
  return parsed.map((r) => ({ fields: r.record, line: base + r.info.lines }));
}

/** The fields of the first line of `text` when it is the file's first (the header), split plainly; else undefined. */
function headerOf(text: string, base: number): readonly string[] | undefined {
  if (base !== 0) return undefined;
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first?.split(',').map((f) => f.replace(/"/g, '').trim());
}

/** Plain words for csv-parse's error codes that a bar file can meet (the code itself means nothing to a user). */
const CSV_PROBLEMS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quote opens a field here and is never closed, so the rest of the file would be one field',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field has text after its closing quote (a quote inside a quoted field is written "")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quoted field has text after its closing quote (a quote inside a quoted field is written "")',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field, writing a quote inside it as "")',
  CSV_MAX_RECORD_SIZE: 'a record is too long',
};

/**
 * A CSV error as a DataError at the line (and column) where the problem starts. csv-parse reports an unclosed quote at
 * the end of the text it was given, which may be thousands of lines after the quote: that quote is found here instead.
 */
function csvError(path: string, e: CsvError, text: string, base: number, header: readonly string[] | undefined): DataError {
  const problem = CSV_PROBLEMS[e.code] ?? `malformed CSV (${e.message.split(':')[0] ?? e.code})`;
  const columnAt = (field: number): string => columnName(header, field);
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
    const open = unclosedQuote(text);
    if (open !== null) return new DataError(problem, { file: path, line: base + open.line, column: columnAt(open.field) });
  }
  // csv-parse's message counts lines from the start of the parsed text, so only the corrected line is reported.
  const line = typeof e['lines'] === 'number' ? base + e['lines'] : undefined;
  const field = typeof e['index'] === 'number' ? e['index'] : undefined;
  return new DataError(problem, {
    file: path,
    ...(line === undefined ? {} : { line }),
    ...(field === undefined ? {} : { column: columnAt(field) }),
  });
}

/** A column as errors name it: its header name, else its number from 1. */
function columnName(header: readonly string[] | undefined, field: number): string {
  const name = header?.[field];
  return name !== undefined && name !== '' ? name : String(field + 1);
}

/**
 * Where the quote that is still open at the end of `text` opened: its line within `text` (from 1) and the index of
 * its field in the record; null when every quote closes. Quote parity as in scanRecordEnds ("" keeps it).
 */
function unclosedQuote(text: string): { line: number; field: number } | null {
  let inQuotes = false;
  let line = 1;
  let field = 0;
  let open: { line: number; field: number } | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      inQuotes = !inQuotes;
      if (inQuotes) open = { line, field };
    } else if (c === 0x0a) {
      line += 1;
      if (!inQuotes) field = 0;
    } else if (c === 0x2c && !inQuotes) {
      field += 1;
    }
  }
  return inQuotes ? open : null;
}

// The last "\n" outside a quoted field in `text`, given the quote parity at its start ("" inside quotes keeps the
// parity even), and the parity at its end.
function scanRecordEnds(text: string, startInQuotes: boolean): { lastEnd: number; inQuotes: boolean } {
  if (!startInQuotes && !text.includes('"')) return { lastEnd: text.lastIndexOf('\n'), inQuotes: false };
  let inQuotes = startInQuotes;
  let lastEnd = -1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) inQuotes = !inQuotes;
    else if (c === 0x0a && !inQuotes) lastEnd = i;
  }
  return { lastEnd, inQuotes };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}

/**
 * Reads the first non-empty line of `path` (at most its first 64 KiB), or undefined for an empty file.
 * @throws DataError when the file cannot be read.
 */
export async function firstLine(path: string): Promise<string | undefined> {
  for await (const batch of textLineBatches(path, { highWaterMark: DEFAULT_HIGH_WATER_MARK })) {
    const found = batch.find((l) => l.text.trim() !== '');
    if (found !== undefined) return found.text;
    if ((batch[batch.length - 1]?.line ?? 0) > 1000) break;
  }
  return undefined;
}

/** Bytes looked at for a file that is not UTF-8 text: enough for any signature, and for NUL bytes of a binary file. */
export const SNIFFED_BYTES = 4096;

/**
 * Refuses a file that is not UTF-8 text in lines, naming what it is and what to do: decoded as UTF-8 it would reach the
 * parser as replacement characters and NULs, and with carriage returns alone as one line, and fail with an error quoting
 * that as a header or a symbol.
 * @throws DataError (file; the line of a NUL byte)
 */
async function refuseNonText(path: string): Promise<void> {
  const head = Buffer.alloc(SNIFFED_BYTES);
  let length: number;
  try {
    const handle = await open(path, 'r');
    try {
      ({ bytesRead: length } = await handle.read(head, 0, SNIFFED_BYTES, 0));
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw readError(path, e, 0);
  }
  refuseNonTextBytes(path, head.subarray(0, length));
}

/** Whether bytes came from a named file, or were read already (standard input, a pipe): what a refusal tells to do differs. */
export type InputKind = 'file' | 'input';

/**
 * {@link refuseNonText} on the first bytes of an input (at most {@link SNIFFED_BYTES}), named `path`. A prefix of those
 * bytes gets the verdict the whole of them gets when it is wrong, so it can be checked while the input still arrives.
 * @throws DataError (path; the line of a NUL byte)
 */
export function refuseNonTextBytes(path: string, bytes: Uint8Array, kind: InputKind = 'file'): void {
  const length = bytes.length;
  const startsWith = (...signature: number[]): boolean => signature.every((b, i) => bytes[i] === b);
  const file = kind === 'file';
  if (startsWith(0x1f, 0x8b)) {
    throw new DataError(
      file
        ? 'the file is gzip-compressed: decompress it first (gunzip), then give the .csv, .ndjson or .jsonl file'
        : 'the input is gzip-compressed: decompress it on its way in (gunzip -c bars.ndjson.gz | stratafolio backtest … --bars -)',
      { file: path },
    );
  }
  if (startsWith(0x50, 0x4b, 0x03, 0x04)) {
    throw new DataError(
      file
        ? 'the file is a ZIP archive (an Excel workbook is one): save or export it as CSV (UTF-8), or unzip it first'
        : 'the input is a ZIP archive (an Excel workbook is one): export it as CSV (UTF-8), or unzip it on its way in (unzip -p archive.zip bars.csv | …)',
      { file: path },
    );
  }
  if (startsWith(0xff, 0xfe) || startsWith(0xfe, 0xff)) {
    throw new DataError(
      file ? 'the file is UTF-16 text: save it as UTF-8 (in Excel, as "CSV UTF-8")' : 'the input is UTF-16 text: convert it on its way in (iconv -f UTF-16 -t UTF-8 bars.csv | …)',
      { file: path },
    );
  }
  // Only the first line end is looked at: a lone carriage return inside a quoted field further on is data.
  const cr = bytes.indexOf(0x0d);
  const lf = bytes.indexOf(0x0a);
  if (cr >= 0 && (lf < 0 || cr < lf) && cr + 1 < length && bytes[cr + 1] !== 0x0a) {
    const remedy = file ? 'save it with \\n or \\r\\n line ends' : "give it \\n or \\r\\n line ends (tr '\\r' '\\n' turns each into \\n on its way in)";
    throw new DataError(`the ${kind}'s lines end in a carriage return alone (as "CSV (Macintosh)" saves them): ${remedy}`, { file: path });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = countNewlines(Buffer.from(bytes.subarray(0, nul)).toString('latin1')) + 1;
    throw new DataError(`the ${kind} holds a NUL byte: it is binary (or UTF-16 text), not ${file ? 'a UTF-8 bar file' : 'UTF-8 bars'}`, { file: path, line });
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new DataError('is not a regular file', { file: path });
    return s.size;
  } catch (e) {
    throw readError(path, e, 0);
  }
}

function readError(path: string, e: unknown, linesBefore: number): Error {
  if (e instanceof DataError) return e;
  if (e instanceof CsvError) return csvError(path, e, '', linesBefore, undefined);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    // Node's message repeats the code and the path the error already names: say why in words where it is a common one.
    const why = readErrorWords(code, 'the bar file') ?? (e as Error).message;
    return new DataError(`cannot read the file (${code}): ${why}`, { file: path });
  }
  return e instanceof Error ? e : new DataError(String(e), { file: path });
}
