// Market data throughput: synthetic generation (20 symbols × 2,520 bars) and streaming reads of each file format.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BarSlice } from '../src/market/bar.js';
import { readLongCsv, readNdjson, readWideCsv, syntheticSlices, writeLongCsv, writeNdjson, writeWideCsv } from '../src/market/index.js';

export const name = 'marketData';

const SYMBOLS = 20;
const BARS = 2520;

/** Times synthetic generation and a full streaming read of the same market in each layout. */
export async function run(): Promise<Record<string, unknown>> {
  const generateMs: number[] = [];
  let market: BarSlice[] = [];
  for (let i = 0; i < 5; i += 1) {
    const t0 = performance.now();
    market = [...syntheticSlices({ seed: i + 1, symbols: SYMBOLS, bars: BARS })];
    generateMs.push(performance.now() - t0);
  }
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bench-market-'));
  try {
    const files = { long: join(dir, 'm.csv'), wide: join(dir, 'w.csv'), ndjson: join(dir, 'm.ndjson') };
    await writeLongCsv(files.long, market);
    await writeWideCsv(files.wide, market);
    await writeNdjson(files.ndjson, market);
    const reads: Record<string, unknown> = {};
    for (const [format, read] of [
      ['long', readLongCsv],
      ['wide', readWideCsv],
      ['ndjson', readNdjson],
    ] as const) {
      const path = files[format];
      const times: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const t0 = performance.now();
        let bars = 0;
        for await (const slice of read(path)) bars += Object.keys(slice.bars).length;
        times.push(performance.now() - t0);
        if (bars !== SYMBOLS * BARS) throw new Error(`${format}: read ${bars} bars`);
      }
      const best = Math.min(...times);
      const first = performance.now();
      const it = read(path);
      await it.next();
      const firstSliceMs = performance.now() - first;
      await it.return(undefined);
      reads[format] = {
        bytes: statSync(path).size,
        bestMs: round(best),
        barsPerSecond: Math.round((SYMBOLS * BARS) / (best / 1000)),
        firstSliceMs: round(firstSliceMs),
      };
    }
    return {
      synthetic: { symbols: SYMBOLS, bars: BARS, bestMs: round(Math.min(...generateMs)), medianMs: round(median(generateMs)) },
      reads,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
