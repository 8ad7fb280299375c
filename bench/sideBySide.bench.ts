// The reference library's own benchmark workload, run as a user would: 100 strategies (a module), each buying one unit of
// the next of 20 symbols every 10 bars, 2,520 daily bars in a long CSV, `stratafolio backtest` into SQLite.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { openEventStore } from '../events/openEventStore.js';

export const name = 'sideBySide';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'stratafolio.js');
const STRATEGIES = 100;
const BARS = Number(process.env['BENCH_SIDE_BY_SIDE_BARS'] ?? 2520);

interface Probe {
  readonly samples: readonly [number, number][];
  readonly maxRssBytes: number;
  readonly ms: number;
}

function heapNear(probe: Probe, fraction: number): number {
  const at = probe.ms * fraction;
  let best = probe.samples[0];
  for (const s of probe.samples) if (Math.abs(s[0] - at) < Math.abs((best?.[0] ?? 0) - at)) best = s;
  return best?.[1] ?? 0;
}

async function eventCount(url: string): Promise<number> {
  const store = await openEventStore(url);
  let n = 0;
  for await (const _ of store.readAll()) n += 1;
  await store.close();
  return n;
}

/** Runs the workload once through the CLI and returns its figures. */
async function runOnce(dir: string, bars: string, config: string, run: number): Promise<Record<string, number>> {
  const db = join(dir, `run${run}.db`);
  const probeOut = join(dir, `probe${run}.json`);
  const t0 = performance.now();
  // The young generation the bench runs with (npm run bench: --max-semi-space-size), given to the CLI process too.
  const youngGeneration = process.execArgv.filter((flag) => flag.startsWith('--max-semi-space-size'));
  const r = spawnSync(
    process.execPath,
    [...youngGeneration, '--expose-gc', '--import', pathToFileURL(join(here, 'fixtures', 'memoryProbe.js')).href, bin, 'backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`, '--json'],
    { encoding: 'utf8', env: { ...process.env, STRATAFOLIO_PROBE_OUT: probeOut }, maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`side-by-side backtest failed (${String(r.status)}): ${r.stderr}`);
  const probe = JSON.parse(readFileSync(probeOut, 'utf8')) as Probe;
  const events = await eventCount(`sqlite:${db}`);
  return {
    seconds: Number(seconds.toFixed(3)),
    strategyBarsPerSecond: Math.round((STRATEGIES * BARS) / seconds),
    eventsPerSecond: Math.round(events / seconds),
    events,
    liveHeapHalfMiB: Number((heapNear(probe, 0.5) / 2 ** 20).toFixed(1)),
    liveHeapEndMiB: Number((heapNear(probe, 1) / 2 ** 20).toFixed(1)),
    peakRssMiB: Number((probe.maxRssBytes / 2 ** 20).toFixed(1)),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-side-'));
  try {
    const bars = join(dir, 'bars.csv');
    await writeLongCsv(bars, syntheticSlices({ seed: 3, symbols: 20, bars: BARS, start: '2010-01-04' }));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        id: 'side-by-side',
        name: 'side-by-side workload',
        capital: '10000000',
        strategies: Array.from({ length: STRATEGIES }, (_, i) => ({
          id: `rr${String(i).padStart(3, '0')}`,
          module: join(here, 'fixtures', 'roundRobinStrategy.js'),
          export: 'roundRobin',
          allocation: '0.01',
          params: { offset: i },
        })),
      }),
    );
    const runs = [];
    for (let i = 0; i < 3; i += 1) runs.push(await runOnce(dir, bars, config, i));
    const best = runs.reduce((a, b) => ((b['strategyBarsPerSecond'] ?? 0) > (a['strategyBarsPerSecond'] ?? 0) ? b : a));
    return { strategies: STRATEGIES, bars: BARS, best, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
