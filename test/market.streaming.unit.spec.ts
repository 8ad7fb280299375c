// The file sources stream: the first slice of a large file arrives after reading a few buffers, and stopping early releases the file.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadProgress } from '../src/market/index.js';
import { openBarSource, readLongCsv, readNdjson } from '../src/market/index.js';
import { scratchDir } from './fixtures/market/barFiles.js';

const dir = scratchDir();
const LINES = 200_000;
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];
let csvPath = '';
let ndjsonPath = '';

beforeAll(() => {
  const csv: string[] = ['timestamp,symbol,open,high,low,close,volume'];
  const nd: string[] = [];
  const t0 = Date.UTC(2000, 0, 3);
  for (let i = 0; i < LINES; i += 1) {
    const time = new Date(t0 + Math.floor(i / SYMBOLS.length) * 60_000).toISOString();
    const symbol = SYMBOLS[i % SYMBOLS.length] ?? 'AAA';
    csv.push(`${time},${symbol},10.25,10.5,10,10.25,${i}`);
    nd.push(`{"timestamp":"${time}","symbol":"${symbol}","open":"10.25","high":"10.5","low":"10","close":"10.25","volume":"${i}"}`);
  }
  csvPath = dir.path('big.csv');
  ndjsonPath = dir.path('big.ndjson');
  writeFileSync(csvPath, `${csv.join('\n')}\n`);
  writeFileSync(ndjsonPath, `${nd.join('\n')}\n`);
});
afterAll(() => dir.cleanup());

const openFds = (): number => readdirSync('/proc/self/fd').length;
// The descriptor is closed on libuv's thread pool, so give it a moment (at most ~2 s).
const fdsSettleTo = async (expected: number): Promise<number> => {
  for (let i = 0; i < 200 && openFds() !== expected; i += 1) await new Promise((r) => setTimeout(r, 10));
  return openFds();
};

describe.each([
  ['long CSV', () => csvPath, readLongCsv],
  ['NDJSON', () => ndjsonPath, readNdjson],
] as const)('%s', (_name, path, read) => {
  it('yields the first slice after reading only a few 16 KiB buffers of a 200,000-line file', async () => {
    const size = statSync(path()).size;
    let last: ReadProgress | undefined;
    const slices = read(path(), { highWaterMark: 16 * 1024, onProgress: (p) => (last = p) });
    const first = await slices.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ time: '2000-01-03T00:00:00.000Z' });
    expect(Object.keys(first.value ? first.value.bars : {})).toEqual(SYMBOLS);
    expect(last?.totalBytes).toBe(size);
    expect(last?.bytesRead ?? Infinity).toBeLessThanOrEqual(4 * 16 * 1024);
    expect(last?.line ?? Infinity).toBeLessThan(2_000);
    await slices.return(undefined);
  });

  it('reads on to the end with progress reaching the last line and every byte', async () => {
    let last: ReadProgress | undefined;
    let count = 0;
    for await (const s of read(path(), { onProgress: (p) => (last = p) })) {
      count += Object.keys(s.bars).length;
    }
    expect(count).toBe(LINES);
    expect(last?.bytesRead).toBe(statSync(path()).size);
  });
});

describe('stopping early', () => {
  it('closes the file when the consumer breaks out of the loop', async () => {
    const before = openFds();
    for await (const slice of openBarSource({ path: csvPath })) {
      expect(openFds()).toBeGreaterThan(before);
      expect(slice.time).toBe('2000-01-03T00:00:00.000Z');
      break;
    }
    expect(await fdsSettleTo(before)).toBe(before);
  });
});
