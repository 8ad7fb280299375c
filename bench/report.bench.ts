// Benchmark: build the HTML report of the demo and of a large generated log (its size from PROJECTIONS_BENCH_EVENTS, default 1 million); seconds, bytes and peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore } from '../events/openEventStore.js';
import { portfolioStream } from '../events/index.js';
import { verifyPortfolioLog } from '../projections/index.js';
import { foldReport, renderReportHtml } from '../projections/report/index.js';
import { Portfolio } from '../actors/portfolio.js';
import { syntheticMarket } from '../src/market/syntheticMarket.js';
import { demoConfig, demoMarket } from '../src/cli/demoPortfolio.js';
import { generate } from './projections.bench.js';

export const name = 'report';

const mb = (b: number): number => Math.round(b / 1e5) / 10;

/** Verifies, folds and renders one portfolio's report as `stratafolio report` does; RSS sampled at every progress call. */
async function timeReport(url: string, portfolioId: string): Promise<Record<string, unknown>> {
  const store = await openEventStore(url, { durability: 'normal' });
  try {
    const stream = portfolioStream(portfolioId);
    let peak = process.memoryUsage().rss;
    const t0 = performance.now();
    const verification = await verifyPortfolioLog(store, stream);
    const t1 = performance.now();
    const model = await foldReport(store, portfolioId, stream, {
      asOf: { kind: 'end' },
      verification,
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().rss);
      },
    });
    const t2 = performance.now();
    const foldPeak = peak;
    // Live heap with the model held (after a full collection, when node runs with --expose-gc): what grows with bars.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const liveHeapAfterFold = gc === undefined ? null : process.memoryUsage().heapUsed;
    const html = renderReportHtml(model);
    const t3 = performance.now();
    const afterRender = process.memoryUsage().rss;
    peak = Math.max(peak, afterRender);
    return {
      events: model.provenance.events,
      bars: model.provenance.bars,
      verifySeconds: Math.round(t1 - t0) / 1000,
      foldSeconds: Math.round(t2 - t1) / 1000,
      renderSeconds: Math.round(t3 - t2) / 1000,
      totalSeconds: Math.round(t3 - t0) / 1000,
      htmlBytes: Buffer.byteLength(html),
      // RSS sampled every 10 000 folded events, then once after rendering (the render is one synchronous call).
      peakRssFoldMB: mb(foldPeak),
      ...(liveHeapAfterFold === null ? {} : { liveHeapAfterFoldMB: mb(liveHeapAfterFold) }),
      rssAfterRenderMB: mb(afterRender),
      peakRssMB: mb(peak),
    };
  } finally {
    await store.close();
  }
}

/** The demo's report (756 bars), then the large log's. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'stratafolio-report-bench-'));
  try {
    const demoUrl = `sqlite:${join(dir, 'demo.db')}`;
    const store = await openEventStore(demoUrl, { durability: 'normal' });
    const portfolio = await Portfolio.open({ store, config: demoConfig() });
    await portfolio.run(syntheticMarket(demoMarket(756, 42)));
    portfolio.close();
    await store.close();
    const demo = await timeReport(demoUrl, 'demo');
    const largeUrl = `sqlite:${join(dir, 'large.db')}`;
    const generated = await generate(largeUrl, 'engine');
    const large = await timeReport(largeUrl, 'bench');
    return { demo, large: { ...large, generateSeconds: Math.round(generated.seconds * 10) / 10 }, targetDemoBytes: 2 * 1024 * 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
