// `--bars -` and a pipe are read whole into memory: an input past what a Buffer can hold stops being read as soon as it
// passes that limit and fails with one line naming the input, the limit and what to do, instead of a RangeError from
// Buffer.concat after gigabytes. The limit is a parameter, so the tests use a small one.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { constants } from 'node:buffer';
import { barsInput, DEFAULT_MAX_INPUT_BYTES } from '../src/cli/barsInput.js';
import { DataError } from '../src/errors.js';
import { exitCodeOf, EXIT_BAD_INPUT } from '../src/cli/exitCodes.js';

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bars-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIMIT = 64 * 1024;
const CHUNK = 4096;
const line = `${JSON.stringify({ timestamp: '2024-03-01T00:00:00Z', symbol: 'BTCUSDT', open: '1', high: '1', low: '1', close: '1', volume: '1' })}\n`;

/** Standard input of `total` bytes of NDJSON text, counting how many of them were pulled from it. */
function countedInput(total: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = Buffer.from(line.repeat(Math.ceil(CHUNK / line.length)).slice(0, CHUNK));
  const stream = new Readable({
    read() {
      if (pulled >= total) {
        this.push(null);
        return;
      }
      pulled += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('expected the read to fail');
}

const message = (name: string, limit: string): string =>
  `${name}: more than ${limit} of bars, the most a run can hold in memory (an input that can be read only once is read whole, ` +
  'to check the bars before running them): write them to a file and pass its path to --bars';

describe('barsInput past its in-memory limit', () => {
  it('the limit is by default what a Buffer can hold', () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(constants.MAX_LENGTH);
  });

  it('standard input larger than the limit fails as bad input naming stdin and the limit, and is not read further', async () => {
    const input = countedInput(1000 * LIMIT);
    const error = await failure(() => barsInput('-', 'ndjson', input.stream, LIMIT).read());
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(message('stdin', '65536 bytes'));
    expect(exitCodeOf(error)).toBe(EXIT_BAD_INPUT);
    // Stopped once the total passed the limit: not read to its end (a stream reads a little ahead of its reader).
    expect(input.pulled()).toBeLessThan(4 * LIMIT);
  });

  it('an input of exactly the limit is read whole', async () => {
    const input = countedInput(LIMIT);
    const content = await barsInput('/dev/stdin', 'ndjson', input.stream, LIMIT).read();
    expect(content?.length).toBe(LIMIT);
  });

  it('a pipe larger than the limit fails naming the pipe', async () => {
    const fifo = join(dir, 'bars.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    // The reader goes away mid-write: that is what is tested, not an error of the writer.
    writer.on('error', () => undefined);
    const writing = (async () => {
      for (let i = 0; i < 1000 && !writer.destroyed; i += 1) {
        if (!writer.write(line.repeat(100))) await new Promise<void>((resolve) => writer.once('drain', () => resolve()).once('close', () => resolve()));
      }
      writer.end();
    })();
    const error = await failure(() => barsInput(fifo, 'ndjson', process.stdin, LIMIT).read());
    expect((error as DataError).message).toBe(message(fifo, '65536 bytes'));
    writer.destroy();
    await writing;
  });

  it('names a limit of whole mebibytes (or gibibytes, as the default) in that unit', async () => {
    const error = await failure(() => barsInput('-', 'ndjson', countedInput(4 * 1024 ** 2).stream, 1024 ** 2).read());
    expect((error as DataError).message).toBe(message('stdin', '1 MiB'));
  });
});
