// `--bars` as a file or as standard input (`-`, `/dev/stdin`): standard input is read once, whole, into memory, since a
// run reads its bars twice (the whole input is checked before anything is appended, then run).
import { ConfigError, DataError } from '../errors.js';
import type { BarFormat } from '../market/barSource.js';

/** The `--bars` values that mean standard input. */
const STANDARD_INPUT = ['-', '/dev/stdin'];

/** What errors and warnings call standard input. */
export const STDIN_NAME = 'stdin';

/** A run's bars: a file, or standard input. */
export interface BarsInput {
  /** How errors and warnings name it: the file's path, or {@link STDIN_NAME}. */
  readonly name: string;
  /** Standard input's bytes, read to its end (once); undefined for a file, which is read as the run goes. */
  read(): Promise<Uint8Array | undefined>;
}

/**
 * Resolves `--bars`, refusing standard input that cannot be read as bars before anything is read.
 * @throws ConfigError when standard input comes without `--format` (it has no file name to infer one from), or is a
 * terminal. Its `read` throws DataError (stdin) when standard input cannot be read.
 */
export function barsInput(bars: string, format: BarFormat | undefined, stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): BarsInput {
  if (!STANDARD_INPUT.includes(bars)) return { name: bars, read: () => Promise.resolve(undefined) };
  if (format === undefined) {
    throw new ConfigError(
      `--bars ${bars} reads standard input, which has no file name to infer the bar format from: give --format ndjson (what export-bars writes), long or wide`,
      'format',
    );
  }
  if (stdin.isTTY === true) {
    throw new ConfigError(`--bars ${bars} reads standard input, which is a terminal here: pipe the bars in (export-bars … | stratafolio backtest … --bars -) or give a file`, 'bars');
  }
  return { name: STDIN_NAME, read: () => readToEnd(stdin) };
}

async function readToEnd(stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    throw new DataError(`cannot read standard input${typeof code === 'string' ? ` (${code})` : ''}: ${e instanceof Error ? e.message : String(e)}`, { file: STDIN_NAME });
  }
  return Buffer.concat(chunks);
}
