// Live-path benchmark: bars pushed into a paper session, after the JIT warm-up `stratafolio paper` runs (slicer → the
// slice decided → its feed record and events committed in one durable transaction, SQLite durability `full`), 20
// momentum strategies on 20 symbols. Figures: latency from the arrival of a
// slice's last bar to the slice being durable (p50, p99, one slice at a time: the next pushed at once, and again with the
// session idle 10 ms between slices), the session's live heap and how it grows,
// and sustained slices/s (bars pushed as fast as the session takes them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore } from '../events/openEventStore.js';
import { FeedRecorder } from '../events/feedRecord.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { Portfolio } from '../actors/portfolio.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { PaperSession, paperStoreOptions, type SliceStatus } from '../src/cli/paperSession.js';
import type { Feed, FeedClock, FeedSink } from '../src/feeds/feed.js';
import { DEFAULT_JIT_WARM_UP_SLICES, jitWarmUp } from '../src/cli/jitWarmUp.js';
import type { BarSlice } from '../src/market/bar.js';
import { heapAfterGc } from './liveHeap.js';

export const name = 'paper';

const LATENCY_SLICES = Number(process.env.BENCH_PAPER_LATENCY_SLICES ?? 500);
const THROUGHPUT_SLICES = Number(process.env.BENCH_PAPER_THROUGHPUT_SLICES ?? 2000);
/** Idle time between slices in the paced latency run (BENCH_PAPER_GAP_MS). */
const PACED_GAP_MS = Number(process.env.BENCH_PAPER_GAP_MS ?? 10);
const STRATEGIES = 20;
/** As `stratafolio paper` does by default; BENCH_PAPER_JIT_WARM_UP=0 shows a session's cold start. */
const JIT_WARM_UP = Number(process.env.BENCH_PAPER_JIT_WARM_UP ?? DEFAULT_JIT_WARM_UP_SLICES);
/** `full` is what paper trading runs with; BENCH_PAPER_DURABILITY=normal shows what the fsyncs cost. */
const DURABILITY = process.env.BENCH_PAPER_DURABILITY === 'normal' ? 'normal' : 'full';

/** A clock with sub-millisecond resolution, so latencies under a millisecond are not rounded to 0 or 1. */
const clock: FeedClock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  random: () => 0.5,
};

/** A feed the benchmark pushes bars into directly. */
class PushFeed implements Feed {
  readonly description = 'benchmark';
  readonly symbols = null;
  readonly intervalMs = null;
  sink: FeedSink | null = null;
  private ready: () => void = () => undefined;
  readonly started = new Promise<void>((resolve) => {
    this.ready = resolve;
  });
  start(sink: FeedSink): void {
    this.sink = sink;
    this.ready();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  push(slice: BarSlice): void {
    const ms = Date.parse(slice.time);
    this.sink?.bars(Object.values(slice.bars).map((bar) => ({ ms, bar })), 'benchmark');
  }
}

async function session(slices: readonly BarSlice[], id: string) {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-paper-bench-'));
  const url = `sqlite:${join(dir, 'bench.db')}`;
  // Opened as `stratafolio paper` opens its store, durability as asked.
  const store = await openEventStore(url, { ...paperStoreOptions(url), durability: DURABILITY });
  const symbols = Object.keys(slices[0]?.bars ?? {});
  const config = parsePortfolioConfig({
    id,
    name: 'paper benchmark',
    capital: '10000000',
    strategies: Array.from({ length: STRATEGIES }, (_, i) => ({
      id: `mom${String(i).padStart(2, '0')}`,
      kind: 'momentum',
      allocation: (0.95 / STRATEGIES).toFixed(6),
      params: { lookback: 20 + (i % 40), topN: 3 + (i % 5), rebalanceEvery: 21 },
    })),
    execution: { fillAt: 'close', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
    snapshotEvery: 0,
  });
  await jitWarmUp(config, symbols, JIT_WARM_UP);
  const portfolio = await Portfolio.open({ store, config });
  const recorder = await FeedRecorder.open(store, id, null);
  const feed = new PushFeed();
  const listeners: ((s: SliceStatus) => void)[] = [];
  // The store's upkeep between slices is timed apart: it is off the latency path only as long as bars leave time for it.
  const upkeep: number[] = [];
  const timedStore = {
    maintain: async () => {
      const t0 = performance.now();
      await store.maintain?.();
      upkeep.push(performance.now() - t0);
    },
  };
  const paper = new PaperSession({
    portfolio,
    store: timedStore,
    recorder,
    feed,
    clock,
    symbols,
    untilMs: Date.parse(slices[slices.length - 1]?.time ?? ''),
    fromMs: null,
    allowedLatenessMs: 0,
    closeAfterMs: null,
    commands: null,
    onSlice: (s) => {
      for (const l of listeners) l(s);
    },
    onNotice: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  const ended = paper.run();
  await feed.started;
  return {
    feed,
    listeners,
    upkeep,
    finish: async () => {
      await ended;
      portfolio.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Latencies of one session fed one slice at a time, sorted: all, quiet and trading slices, and the live heap. */
interface LatencyRun {
  readonly all: number[];
  readonly quiet: number[];
  readonly trading: number[];
  readonly heapFrom: number;
  readonly heapEnd: number;
  /** Durations of the store's upkeep between slices (ms), sorted. */
  readonly upkeep: number[];
}

/** From slice number HEAP_FROM on, the live heap's growth is measured. */
const HEAP_FROM = Math.min(100, LATENCY_SLICES);

/** Feeds `slices` one at a time: the next is pushed `gapMs` after the previous one is durable (0: at once). */
async function measureLatency(slices: readonly BarSlice[], id: string, gapMs: number): Promise<LatencyRun> {
  const latency = await session(slices, id);
  const all: number[] = [];
  // Slices that only mark (one BarMarked) apart from those where strategies trade: the engine's order flow is what
  // the second adds on top of the live path's own cost.
  const quiet: number[] = [];
  const trading: number[] = [];
  // A session runs for days: its live heap is sampled after a full collection early on and at the end.
  let heapFrom = Number.NaN;
  for (const [k, slice] of slices.entries()) {
    if (k === HEAP_FROM) heapFrom = heapAfterGc();
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const durable = new Promise<SliceStatus>((resolve) => latency.listeners.splice(0, 1, resolve));
    latency.feed.push(slice);
    const status = await durable;
    const ms = status.latencyMs ?? NaN;
    all.push(ms);
    (status.report.events.length === 1 ? quiet : trading).push(ms);
  }
  const heapEnd = heapAfterGc();
  await latency.finish();
  const upkeep = latency.upkeep;
  for (const list of [all, quiet, trading, upkeep]) list.sort((a, b) => a - b);
  return { all, quiet, trading, heapFrom, heapEnd, upkeep };
}

export async function run(): Promise<Record<string, unknown>> {
  const all = [...syntheticSlices({ seed: 7, symbols: 20, bars: LATENCY_SLICES + THROUGHPUT_SLICES })];

  // Latency: one slice at a time, the next pushed once the previous is durable.
  const { all: latencies, quiet, trading, heapFrom, heapEnd, upkeep } = await measureLatency(all.slice(0, LATENCY_SLICES), 'paper-latency', 0);
  // The same slices with the session idle between them, as a live feed leaves it (bars 10 ms apart are still thousands of
  // times faster than any real bar stream): on this machine an idle session answers slower than one kept busy.
  const paced = await measureLatency(all.slice(0, LATENCY_SLICES), 'paper-latency-paced', PACED_GAP_MS);

  // Throughput: every bar pushed at once; the session slices, records and applies them as fast as it can.
  const burst = all.slice(LATENCY_SLICES);
  const throughput = await session(burst, 'paper-throughput');
  let done = 0;
  const allDurable = new Promise<void>((resolve) =>
    throughput.listeners.push(() => {
      done += 1;
      if (done === burst.length) resolve();
    }),
  );
  const t0 = performance.now();
  for (const slice of burst) throughput.feed.push(slice);
  await allDurable;
  const seconds = (performance.now() - t0) / 1000;
  await throughput.finish();

  return {
    strategies: STRATEGIES,
    symbols: 20,
    durability: DURABILITY,
    jitWarmUpSlices: JIT_WARM_UP,
    latencySlices: LATENCY_SLICES,
    latencyP50Ms: Number(percentile(latencies, 50).toFixed(3)),
    latencyP99Ms: Number(percentile(latencies, 99).toFixed(3)),
    latencyMaxMs: Number((latencies[latencies.length - 1] ?? NaN).toFixed(3)),
    quietSlices: quiet.length,
    quietP50Ms: Number(percentile(quiet, 50).toFixed(3)),
    quietP99Ms: Number(percentile(quiet, 99).toFixed(3)),
    tradingSlices: trading.length,
    tradingP50Ms: Number(percentile(trading, 50).toFixed(3)),
    tradingP99Ms: Number(percentile(trading, 99).toFixed(3)),
    // Calls of the store's upkeep between slices (most find nothing to do), and the longest, which a bar arriving
    // during it would wait for.
    upkeepCalls: upkeep.length,
    upkeepMaxMs: Number((upkeep[upkeep.length - 1] ?? 0).toFixed(3)),
    pacedGapMs: PACED_GAP_MS,
    pacedLatencyP50Ms: Number(percentile(paced.all, 50).toFixed(3)),
    pacedLatencyP99Ms: Number(percentile(paced.all, 99).toFixed(3)),
    pacedTradingP50Ms: Number(percentile(paced.trading, 50).toFixed(3)),
    liveHeapMiB: Number((heapEnd / 2 ** 20).toFixed(1)),
    liveHeapGrowthKiBPer1000Slices: Math.round(((heapEnd - heapFrom) / 1024 / (LATENCY_SLICES - HEAP_FROM)) * 1000),
    throughputSlices: burst.length,
    slicesPerSecond: Math.round(burst.length / seconds),
  };
}
