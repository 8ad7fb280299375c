// Reading is linear in the file's size, and a line past the limit fails at once, quoting only the line's start.
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/errors.js';
import { csvRecordBatches, textLineBatches } from '../src/market/fileInput.js';
import { readLongCsv, readNdjson } from '../src/market/index.js';
import { collect, scratchDir } from './fixtures/market/barFiles.js';

const dir = scratchDir();
afterAll(() => dir.cleanup());

async function drain<T>(batches: AsyncGenerator<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

async function failure(run: () => Promise<unknown>): Promise<DataError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

describe('line-length limit', () => {
  const endless = dir.path('endless.csv');
  writeFileSync(endless, `timestamp,symbol,open,high,low,close,volume\n2020-01-02,AAPL,${'9'.repeat(3_000_000)}`);

  it('a CSV line past the limit is a DataError naming the file and line, quoting only its start', async () => {
    const error = await failure(() => collect(readLongCsv(endless)));
    expect(error.message).toMatch(/endless\.csv, line 2: line is longer than 1048576 characters \(it starts "2020-01-02,AAPL,9{44}"…\); /);
    expect(error.message.length).toBeLessThan(300);
    // Only part of the line was read: a character count would understate it, so none is given.
    expect(error.message).not.toMatch(/\d+ characters\)/);
  });

  it('the same for text lines (NDJSON)', async () => {
    const path = dir.path('endless.ndjson');
    writeFileSync(path, `{"t":"${'x'.repeat(2_000_000)}"}\n`);
    const error = await failure(() => collect(readNdjson(path)));
    expect(error.message).toMatch(/endless\.ndjson, line 1: line is longer than/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('a line exactly at the limit is read whole; one character more is refused', async () => {
    const path = dir.path('limit.txt');
    writeFileSync(path, `${'a'.repeat(100)}\nb\n`);
    const lines = await drain(textLineBatches(path, { maxLineLength: 100, highWaterMark: 7 }));
    expect(lines.map((l) => [l.line, l.text.length])).toEqual([[1, 100], [2, 1]]);
    const error = await failure(() => drain(textLineBatches(path, { maxLineLength: 99, highWaterMark: 7 })));
    expect(error.message).toMatch(/line 1: line is longer than 99 characters/);
  });

  it('CSV records split across many small reads, quoted newlines included, come out whole and numbered', async () => {
    const path = dir.path('quoted.csv');
    writeFileSync(path, 'a,b\n"x\ny",2\n3,"4,5"\n6,7\n');
    const records = await drain(csvRecordBatches(path, { highWaterMark: 3 }));
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [1, 'a', 'b'],
      [3, 'x\ny', '2'],
      [4, '3', '4,5'],
      [5, '6', '7'],
    ]);
  });
});
