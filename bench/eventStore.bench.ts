// Benchmark of the SQLite event store: append throughput (durability normal and full), readAll throughput, peak RSS.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  GENESIS_HASH,
  domainEvent,
  openEventStore,
  portfolioStream,
  sealEvents,
  type ChainHead,
  type Durability,
  type PendingEvent,
} from '../events/index.js';

export const name = 'eventStore';

const BATCH = 20;
const READ_EVENTS = 200_000;
const FULL_EVENTS = 10_000;

/** One supervisor slice: 19 fills across strategies and symbols, then the bar mark, at bar `n`. */
function slice(n: number): PendingEvent[] {
  const barTime = new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString();
  const out: PendingEvent[] = [];
  for (let i = 0; i < BATCH - 1; i += 1) {
    out.push({
      barTime,
      event: domainEvent('FillRecorded', {
        orderId: `o-${n}-${i}`,
        strategyId: `strategy-${i % 4}`,
        symbol: `SYM${i % 7}`,
        quantity: i % 2 === 0 ? '125' : '-40',
        price: `${100 + (n % 50)}.${(i * 37) % 100}1`,
        commission: '1.25',
        slippage: '0.0375',
      }),
    });
  }
  out.push({
    barTime,
    event: domainEvent('BarMarked', {
      marks: Object.fromEntries(Array.from({ length: 7 }, (_, s) => [`SYM${s}`, `${100 + ((n + s) % 50)}.25`])),
      strategyValues: { 'strategy-0': '250310.5', 'strategy-1': '249870.25', 'strategy-2': '251002', 'strategy-3': '248999.75' },
      strategyCash: { 'strategy-0': '12031.5', 'strategy-1': '8870.25', 'strategy-2': '20002', 'strategy-3': '1999.75' },
      reserve: '0',
      portfolioValue: '1000182.5',
    }),
  });
  return out;
}

/** CPU seconds (user + system) since `from`: on a shared machine this shows the cost that wall time hides. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

async function appendRun(
  file: string,
  durability: Durability,
  events: number,
): Promise<{ appendSeconds: number; sealSeconds: number; cpuSeconds: number }> {
  const store = await openEventStore(`sqlite:${file}`, { durability });
  const stream = portfolioStream('bench');
  let head: ChainHead = { portfolioId: 'bench', nextRevision: 0, prevHash: GENESIS_HASH };
  let appendMs = 0;
  let sealMs = 0;
  const cpu0 = process.cpuUsage();
  for (let n = 0; n * BATCH < events; n += 1) {
    const t0 = performance.now();
    const sealed = sealEvents(head, slice(n));
    const t1 = performance.now();
    await store.append(stream, sealed.events, { expectedRevision: head.nextRevision === 0 ? 'no_stream' : head.nextRevision - 1 });
    appendMs += performance.now() - t1;
    sealMs += t1 - t0;
    head = sealed.head;
  }
  await store.close();
  return { appendSeconds: appendMs / 1000, sealSeconds: sealMs / 1000, cpuSeconds: cpuSeconds(cpu0) };
}

/** Runs the benchmark and returns its figures. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bench-'));
  try {
    const normalFile = join(dir, 'normal.db');
    const normal = await appendRun(normalFile, 'normal', READ_EVENTS);
    const full = await appendRun(join(dir, 'full.db'), 'full', FULL_EVENTS);
    const rssBeforeReadMb = process.resourceUsage().maxRSS / 1024;

    const store = await openEventStore(`sqlite:${normalFile}`);
    let count = 0;
    let heapPeak = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for await (const e of store.readAll()) {
      count += e.position > 0 ? 1 : 0;
      if (count % 20_000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const readSeconds = (performance.now() - t0) / 1000;
    const readCpuSeconds = cpuSeconds(cpu0);
    await store.close();

    return {
      batchSize: BATCH,
      appendNormal: {
        events: READ_EVENTS,
        eventsPerSec: Math.round(READ_EVENTS / normal.appendSeconds),
        appendsPerSec: Math.round(READ_EVENTS / BATCH / normal.appendSeconds),
        sealEventsPerSec: Math.round(READ_EVENTS / normal.sealSeconds),
        cpuSecondsSealAndAppend: Number(normal.cpuSeconds.toFixed(2)),
      },
      appendFull: {
        events: FULL_EVENTS,
        eventsPerSec: Math.round(FULL_EVENTS / full.appendSeconds),
        appendsPerSec: Math.round(FULL_EVENTS / BATCH / full.appendSeconds),
        cpuSecondsSealAndAppend: Number(full.cpuSeconds.toFixed(2)),
      },
      readAll: {
        events: count,
        eventsPerSec: Math.round(count / readSeconds),
        cpuSeconds: Number(readCpuSeconds.toFixed(2)),
        heapPeakMb: Math.round(heapPeak / 1048576),
      },
      fileMb: Math.round(statSync(normalFile).size / 1048576),
      peakRssMbBeforeRead: Math.round(rssBeforeReadMb),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
