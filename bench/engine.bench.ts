// Engine benchmark: momentum strategies on 20 symbols over 2,520 daily slices into SQLite, every slice persisted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore } from '../events/openEventStore.js';
import { parsePortfolioConfig, type PortfolioConfigInput } from '../src/config/portfolioConfig.js';
import { Portfolio } from '../actors/portfolio.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { heapAfterGc } from './liveHeap.js';

export const name = 'engine';

const BARS = Number(process.env.BENCH_ENGINE_BARS ?? 2520);

/** The benchmark's portfolio: `strategies` momentum strategies on 20 symbols. */
function momentumConfig(strategies: number): PortfolioConfigInput {
  const pct = (0.95 / strategies).toFixed(6);
  return {
    id: `bench-${strategies}`,
    name: 'engine benchmark',
    capital: '10000000',
    strategies: Array.from({ length: strategies }, (_, i) => ({
      id: `mom${String(i).padStart(3, '0')}`,
      kind: 'momentum',
      allocation: pct,
      params: { lookback: 20 + (i % 40), topN: 3 + (i % 5), rebalanceEvery: 21 },
    })),
    execution: { fillAt: 'close', commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: '2' },
  };
}

async function runOnce(strategies: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bench-'));
  const store = await openEventStore(`sqlite:${join(dir, 'bench.db')}`, { durability: 'normal' });
  const config = parsePortfolioConfig(momentumConfig(strategies));
  // Bars are generated up front so that the figure measures the engine, not the generator.
  const slices = [...syntheticSlices({ seed: 1, symbols: 20, bars: BARS })];
  const portfolio = await Portfolio.open({ store, config });
  let peakRss = process.memoryUsage().rss;
  let rssAtHalf = 0;
  let heapAtHalf = 0;
  let n = 0;
  // Slices that only mark (one BarMarked) against slices that trade: the order flow's cost is what they differ by.
  let quietMs = 0;
  let quiet = 0;
  let tradingMs = 0;
  let trading = 0;
  let orders = 0;
  const t0 = performance.now();
  for (const slice of slices) {
    const s0 = performance.now();
    const { events: sliceEvents } = await portfolio.processSlice(slice);
    const ms = performance.now() - s0;
    if (sliceEvents.length === 1) {
      quietMs += ms;
      quiet += 1;
    } else {
      tradingMs += ms;
      trading += 1;
      orders += sliceEvents.filter((e) => e.type === 'OrderPlaced').length;
    }
    n += 1;
    if (n % 100 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (n === Math.floor(BARS / 2)) {
      rssAtHalf = process.memoryUsage().rss;
      heapAtHalf = heapAfterGc();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const events = portfolio.status().revision + 1;
  const rssAtEnd = process.memoryUsage().rss;
  const heapAtEnd = heapAfterGc();
  portfolio.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    strategies,
    slices: BARS,
    seconds: Number(seconds.toFixed(3)),
    strategyBarsPerSecond: Math.round((strategies * BARS) / seconds),
    eventsPerSecond: Math.round(events / seconds),
    events,
    orders,
    quietSlices: quiet,
    quietSliceMs: Number((quietMs / Math.max(1, quiet)).toFixed(3)),
    // Strategy-bars/s if every slice cost what a slice without trades does: the bar machinery alone.
    quietStrategyBarsPerSecond: quiet > 0 ? Math.round((strategies * quiet) / (quietMs / 1000)) : 0,
    tradingSlices: trading,
    tradingSliceMs: Number((tradingMs / Math.max(1, trading)).toFixed(3)),
    // A trading slice's cost above a quiet one, per order (two sealed events and rows, limits, netting, the ledger fold).
    microsecondsPerOrder: orders > 0 ? Number((((tradingMs - trading * (quietMs / Math.max(1, quiet))) * 1000) / orders).toFixed(1)) : 0,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    rssAtHalfMiB: Math.round(rssAtHalf / 2 ** 20),
    rssAtEndMiB: Math.round(rssAtEnd / 2 ** 20),
    // Live heap after a full GC at half-way and at the end: equal when memory does not grow with the bars.
    heapAfterGcAtHalfMiB: Number((heapAtHalf / 2 ** 20).toFixed(1)),
    heapAfterGcAtEndMiB: Number((heapAtEnd / 2 ** 20).toFixed(1)),
  };
}

/**
 * The same workload through `run` on a store that appends on a writer thread: slice N+1 is decided while slice N is
 * written. Reports wall and CPU time, the main thread's apart (Linux: /proc), since that thread bounds the throughput.
 */
async function runPipelined(strategies: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bench-'));
  const store = await openEventStore(`sqlite:${join(dir, 'bench.db')}`, { durability: 'normal', writerThread: true });
  const config = parsePortfolioConfig(momentumConfig(strategies));
  const slices = [...syntheticSlices({ seed: 1, symbols: 20, bars: BARS })];
  const portfolio = await Portfolio.open({ store, config });
  const main0 = mainThreadCpuSeconds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await portfolio.run((async function* () {
    yield* slices;
  })());
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = mainThreadCpuSeconds() - main0;
  portfolio.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    strategies,
    seconds: Number(seconds.toFixed(3)),
    strategyBarsPerSecond: Math.round((strategies * BARS) / seconds),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    mainThreadCpuSeconds: Number(mainCpu.toFixed(2)),
    // What the run would reach with the main thread alone on a core: the ceiling the pipeline leaves.
    strategyBarsPerMainThreadCpuSecond: Math.round((strategies * BARS) / mainCpu),
  };
}

/** CPU time of the main thread (user + system), from /proc; NaN where there is none. */
function mainThreadCpuSeconds(): number {
  try {
    const fields = (readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const REPEATS = Number(process.env.BENCH_ENGINE_REPEATS ?? 3);

/** Best of `REPEATS` runs (this machine's speed varies by ±25% between runs), with every run's throughput beside it. */
async function bestOf(strategies: number): Promise<Record<string, unknown>> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < REPEATS; i += 1) runs.push(await runOnce(strategies));
  const best = runs.reduce((a, b) => ((b.strategyBarsPerSecond ?? 0) > (a.strategyBarsPerSecond ?? 0) ? b : a));
  return { ...best, strategyBarsPerSecondOfEachRun: runs.map((r) => r.strategyBarsPerSecond) };
}

/** Runs the engine at 10 and 100 strategies. */
export async function run(): Promise<Record<string, unknown>> {
  const ten = await bestOf(10);
  const hundred = await bestOf(100);
  const pipelined = await runPipelined(100);
  return { target: '>= 100000 strategy-bars/s at 100 strategies', '10 strategies': ten, '100 strategies': hundred, '100 strategies, run pipelined': pipelined };
}
