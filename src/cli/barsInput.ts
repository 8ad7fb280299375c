// `--bars` as a file or as an input read once (standard input: `-`, `/dev/stdin`; or a pipe named by path, such as a
// shell's `<(gunzip -c bars.csv.gz)`): such an input is read whole into memory, since a run reads its bars twice (the
// whole input is checked before anything is appended, then run).
import { constants } from 'node:buffer';
import { createReadStream, statSync } from 'node:fs';
import { ConfigError, DataError } from '../errors.js';
import type { BarFormat } from '../market/barSource.js';
import { refuseNonTextBytes, SNIFFED_BYTES } from '../market/fileInput.js';

/** The `--bars` values that mean standard input. */
const STANDARD_INPUT = ['-', '/dev/stdin'];

/** What errors and warnings call standard input. */
export const STDIN_NAME = 'stdin';

/** A run's bars: a file, or an input that can be read only once. */
export interface BarsInput {
  /** How errors and warnings name it: the file's or pipe's path, or {@link STDIN_NAME}. */
  readonly name: string;
  /** The input's bytes, read to its end (once); undefined for a file, which is read as the run goes. */
  read(): Promise<Uint8Array | undefined>;
}

const FORMAT_HINT = 'give --format ndjson (what export-bars writes), long or wide';

/**
 * The most bytes an input read once is read into: what one Buffer can hold (4 GiB on 64-bit Node.js 20). Past it the
 * bytes could not be joined into the one buffer the run reads twice, and Buffer.concat would throw a bare RangeError.
 */
export const DEFAULT_MAX_INPUT_BYTES = constants.MAX_LENGTH;

/**
 * Resolves `--bars`, refusing an input that cannot be read as bars before anything is read.
 * @throws ConfigError when standard input or a pipe comes without `--format` (it has no file to infer one from), or
 * standard input is a terminal. Its `read` throws DataError (naming the input) when the input cannot be read, as soon
 * as its first bytes show it is not text (gzip, ZIP, UTF-16, binary), or as soon as it passes `maxBytes`: a large or
 * endless one is not read to its end.
 */
export function barsInput(
  bars: string,
  format: BarFormat | undefined,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  maxBytes: number = DEFAULT_MAX_INPUT_BYTES,
): BarsInput {
  if (STANDARD_INPUT.includes(bars)) {
    if (format === undefined) {
      throw new ConfigError(`--bars ${bars} reads standard input, which has no file name to infer the bar format from: ${FORMAT_HINT}`, 'format');
    }
    if (stdin.isTTY === true) {
      throw new ConfigError(`--bars ${bars} reads standard input, which is a terminal here: pipe the bars in (export-bars … | stratafolio backtest … --bars -) or give a file`, 'bars');
    }
    return { name: STDIN_NAME, read: () => readToEnd(stdin, STDIN_NAME, 'standard input', maxBytes) };
  }
  if (!isPipe(bars)) return { name: bars, read: () => Promise.resolve(undefined) };
  // A pipe (/dev/fd/N of a process substitution, a named FIFO) can be read once only, as standard input: the format
  // cannot be read from its header before the run reads it.
  if (format === undefined) {
    throw new ConfigError(`--bars ${bars} is a pipe, which can be read only once (whole, into memory), so its bar format is not inferred: ${FORMAT_HINT}`, 'format');
  }
  return { name: bars, read: () => readToEnd(createReadStream(bars), bars, bars, maxBytes) };
}

function isPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    // Missing or unreadable: the file route names why.
    return false;
  }
}

/** A byte count as a limit is said: in whole GiB or MiB where it is one, else in bytes. */
function byteCount(bytes: number): string {
  if (bytes > 0 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes > 0 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  return `${bytes} bytes`;
}

async function readToEnd(input: NodeJS.ReadableStream, name: string, described: string, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      // Refused on its first bytes: a gzip of gigabytes, or /dev/zero, is not read whole first (or forever).
      if (length < SNIFFED_BYTES) refuseNonTextBytes(name, Buffer.concat([...chunks, bytes]).subarray(0, SNIFFED_BYTES), 'input');
      // Refused once past the limit, the rest unread (leaving the loop ends the stream).
      if (length + bytes.length > maxBytes) {
        throw new DataError(
          `more than ${byteCount(maxBytes)} of bars, the most a run can hold in memory (an input that can be read only once is read whole, ` +
            'to check the bars before running them): write them to a file and pass its path to --bars',
          { file: name },
        );
      }
      chunks.push(bytes);
      length += bytes.length;
    }
    // Joined here, where a machine short of memory for the joined copy gets the same one line as a failed read.
    return Buffer.concat(chunks, length);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException | null)?.code;
    throw new DataError(`cannot read ${described}${typeof code === 'string' ? ` (${code})` : ''}: ${e instanceof Error ? e.message : String(e)}`, { file: name });
  }
}
