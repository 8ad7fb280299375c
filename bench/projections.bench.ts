// Benchmark: rebuild every projection from a generated SQLite log of ≥ 1 million events; events/s and peak RSS (sampled).
// Two logs: one shaped as the engine writes it, and the fills-only worst case.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENESIS_HASH, domainEvent, type EventData, portfolioStream, sealEvents, type ChainHead, type DomainEvent, type PendingEvent } from '../events/index.js';
import { openEventStore } from '../events/openEventStore.js';
import { ProjectionRunner, standardProjections } from '../projections/index.js';

export const name = 'projections';

const STRATEGIES = 10;
const EVENTS = Number(process.env.PROJECTIONS_BENCH_EVENTS ?? 1_000_000);
const SLICES_PER_APPEND = 1_000;
/**
 * `engine`: each slice as the engine writes it when every strategy trades (OrderPlaced per strategy, one OrdersNetted,
 * FillRecorded per strategy, BarMarked). `fills`: the old worst case, a log of fills and marks only (no orders), which
 * the engine never writes but which loads the fold with the most work per event.
 */
export type LogShape = 'engine' | 'fills';

/** The collector, when node runs with --expose-gc (then live-heap figures are reported). */
const gc = (globalThis as { gc?: () => void }).gc;

/** Deterministic price path in integer cents (a fixed LCG; benches may not use Math.random for reproducible figures). */
function* prices(seed: number): Generator<number> {
  let s = seed;
  let p = 10_000;
  for (;;) {
    s = (s * 1103515245 + 12345) % 2147483648;
    p = Math.max(100, p + (s % 201) - 100);
    yield p;
  }
}

/** Canonical decimal string of an integer number of cents (exact: the generator's money stays in safe integers). */
function centsText(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = abs % 100;
  if (frac === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${frac % 10 === 0 ? String(frac / 10) : String(frac).padStart(2, '0')}`;
}

/** Writes a log of about {@link EVENTS} events of the given shape into the store at `url`. */
export async function generate(url: string, shape: LogShape): Promise<{ events: number; seconds: number }> {
  const store = await openEventStore(url, { durability: 'normal' });
  const ids = Array.from({ length: STRATEGIES }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const stream = portfolioStream('bench');
  let head: ChainHead = { portfolioId: 'bench', nextRevision: 0, prevHash: GENESIS_HASH };
  const append = async (pending: PendingEvent[]): Promise<void> => {
    const sealed = sealEvents(head, pending);
    await store.append(stream, sealed.events, { expectedRevision: head.nextRevision === 0 ? 'no_stream' : head.nextRevision - 1 });
    head = sealed.head;
  };
  const t0 = performance.now();
  const setup: DomainEvent[] = [
    domainEvent('PortfolioOpened', { portfolioId: 'bench', name: 'bench', baseCurrency: 'USD', totalCapital: '1000000', configHash: '', codeVersion: '', config: {} }),
  ];
  for (const id of ids) {
    setup.push(
      domainEvent('StrategyAdded', { strategyId: id, kind: 'bench', parameters: {}, allocationPct: '0.1', capital: '100000', minAllocation: null, maxAllocation: null, metadata: {} }),
      domainEvent('CapitalTransferred', { from: 'reserve', to: id, amount: '100000', reason: 'initial allocation', rebalanceId: null }),
    );
  }
  await append(setup.map((event) => ({ event, barTime: null })));
  const cash = ids.map(() => 10_000_000);
  const held = ids.map(() => 0);
  const paths = ids.map((_, i) => prices(i + 1));
  let batch: PendingEvent[] = [];
  let slice = 0;
  let order = 0;
  while (head.nextRevision + batch.length < EVENTS) {
    const barTime = new Date(Date.UTC(2000, 0, 1) + slice * 60_000).toISOString();
    slice += 1;
    const marks: Record<string, string> = {};
    const values: Record<string, string> = {};
    const cashOut: Record<string, string> = {};
    let total = 0;
    const fills: PendingEvent[] = [];
    const netted: EventData<'OrdersNetted'>['symbols'][number][] = [];
    let traded = 0;
    ids.forEach((id, i) => {
      const px = paths[i]?.next().value ?? 10_000;
      const q = held[i] === 0 ? 10 : -10;
      held[i] = (held[i] ?? 0) + q;
      cash[i] = (cash[i] ?? 0) - px * q - 50;
      order += 1;
      const orderId = `o${slice}-${id}-0`;
      const symbol = `SYM${i}`;
      if (shape === 'engine') {
        batch.push({ barTime, event: domainEvent('OrderPlaced', { orderId, strategyId: id, symbol, quantity: String(q), orderType: 'market', requestedQuantity: null, note: null }) });
        const value = centsText(px * 10);
        netted.push({ symbol, grossLong: q > 0 ? '10' : '0', grossShort: q < 0 ? '10' : '0', net: String(q), strategies: [id], grossValue: value, netValue: value, commissionSaved: '0' });
        traded += px * 10;
      }
      fills.push({
        barTime,
        event: domainEvent('FillRecorded', { orderId: shape === 'engine' ? orderId : `o${order}`, strategyId: id, symbol, quantity: String(q), price: centsText(px), commission: '0.5', slippage: '0' }),
      });
      marks[symbol] = centsText(px);
      const v = (cash[i] ?? 0) + px * (held[i] ?? 0);
      values[id] = centsText(v);
      cashOut[id] = centsText(cash[i] ?? 0);
      total += v;
    });
    if (shape === 'engine') {
      batch.push({ barTime, event: domainEvent('OrdersNetted', { symbols: netted, grossTradedValue: centsText(traded), netTradedValue: centsText(traded), commissionSaved: '0' }) });
    }
    batch.push(...fills);
    batch.push({ barTime, event: domainEvent('BarMarked', { marks, strategyValues: values, strategyCash: cashOut, reserve: '0', portfolioValue: centsText(total) }) });
    if (slice % SLICES_PER_APPEND === 0) {
      await append(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await append(batch);
  await store.close();
  return { events: head.nextRevision, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Both log shapes: the engine's is the figure against the target; the fills-only log is the worst case for the fold.
 * `PROJECTIONS_BENCH_SHAPES=engine` (or `fills`) runs one.
 */
export async function run(): Promise<Record<string, unknown>> {
  const shapes = (process.env.PROJECTIONS_BENCH_SHAPES ?? 'engine,fills').split(',').filter((x): x is LogShape => x === 'engine' || x === 'fills');
  const out: Record<string, unknown> = {};
  for (const shape of shapes) out[shape === 'engine' ? 'engineShapedLog' : 'fillsOnlyLog'] = await runShape(shape);
  return { ...out, targetEventsPerSecond: 250_000 };
}

/** Generates a log, then times a full rebuild (saving checkpoints as replay does) and a read-only pass (decode cost alone). */
async function runShape(shape: LogShape): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bench-'));
  const url = `sqlite:${join(dir, 'log.db')}`;
  try {
    const generated = await generate(url, shape);
    const store = await openEventStore(url, { durability: 'normal' });
    const stream = portfolioStream('bench');
    let peak = process.memoryUsage().rss;
    const samples: { folded: number; rss: number }[] = [];
    // Sampled from the progress callback (every 10 000 events): the fold keeps the event loop busy, so a timer would rarely fire.
    const sample = (folded: number): void => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      samples.push({ folded, rss });
    };
    const rssBefore = process.memoryUsage().rss;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // Checkpoints as `replay` saves them (every 50 000 events, into the same SQLite file), so their cost is in the figure.
    const runner = new ProjectionRunner(store, standardProjections(), { stream, checkpointEvery: 50_000 });
    const result = await runner.run({ onProgress: sample });
    const rebuildSeconds = (performance.now() - t0) / 1000;
    const rebuildCpu = cpuSeconds(process.cpuUsage(c0));
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    let read = 0;
    for await (const _ of store.readStream(stream)) read += 1;
    const readSeconds = (performance.now() - t1) / 1000;
    const readCpu = cpuSeconds(process.cpuUsage(c1));
    // Live heap after forced collections, in a separate untimed rebuild (a full collection inside the timed one would be
    // counted as the fold's time): anything that grows with the events shows here.
    const heaps: { folded: number; heap: number }[] = [];
    if (gc !== undefined) {
      const collect = (folded: number): void => {
        if (folded % 100_000 !== 0) return;
        gc();
        heaps.push({ folded, heap: process.memoryUsage().heapUsed });
      };
      await new ProjectionRunner(store, standardProjections(), { stream, checkpointEvery: 0 }).run({ onProgress: collect });
    }
    await store.close();
    const mb = (b: number): number => Math.round(b / 1e5) / 10;
    // Flat memory: the largest RSS over the last three quarters of the fold against the RSS a quarter of the way in.
    const quarter = samples.find((x) => x.folded >= result.eventsFolded / 4)?.rss ?? 0;
    const laterMax = Math.max(0, ...samples.filter((x) => x.folded >= result.eventsFolded / 4).map((x) => x.rss));
    const liveHeap = (from: number, to: number): number =>
      Math.max(0, ...heaps.filter((x) => x.folded >= from * result.eventsFolded && x.folded <= to * result.eventsFolded).map((x) => x.heap));
    return {
      events: result.eventsFolded,
      eventsPerSlice: shape === 'engine' ? 2 * STRATEGIES + 2 : STRATEGIES + 1,
      strategies: STRATEGIES,
      generateSeconds: Math.round(generated.seconds * 10) / 10,
      rebuildSeconds: Math.round(rebuildSeconds * 100) / 100,
      rebuildEventsPerSecond: Math.round(result.eventsFolded / rebuildSeconds),
      readDecodeOnlyEventsPerSecond: Math.round(read / readSeconds),
      // The fold's share of a rebuild: its time per event minus the read-only pass's (both passes read and decode alike).
      foldMicrosecondsPerEvent: Math.round((rebuildSeconds / result.eventsFolded - readSeconds / read) * 1e8) / 100,
      // The rebuild's cost per event as a multiple of read + decode alone (1 = the fold is free). A ratio of two passes
      // over the same log in the same process, so it holds on a slower or loaded machine where the absolute figure moves.
      rebuildOverReadDecode: ratio(rebuildSeconds / result.eventsFolded, readSeconds / read),
      // The same ratio in CPU time of the process (both threads: the read-ahead worker and the fold), which load skews less.
      rebuildCpuSeconds: Math.round(rebuildCpu * 100) / 100,
      readDecodeCpuSeconds: Math.round(readCpu * 100) / 100,
      rebuildOverReadDecodeCpu: ratio(rebuildCpu / result.eventsFolded, readCpu / read),
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peak),
      rssAtQuarterMB: mb(quarter),
      rssMaxAfterQuarterMB: mb(laterMax),
      rssGrowthAfterQuarterMB: mb(laterMax - quarter),
      ...(gc ? { liveHeapSecondQuarterMB: mb(liveHeap(0.25, 0.5)), liveHeapLastQuarterMB: mb(liveHeap(0.75, 1)) } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : Number.NaN;
}
