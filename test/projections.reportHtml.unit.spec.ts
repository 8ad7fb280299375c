import { describe, expect, it } from 'vitest';
import { openEventStore } from '../src/index.js';
import { foldReport, renderCharts, renderReportBody, renderReportHtml, type ReportModel } from '../projections/report/index.js';
import { liveTable } from '../projections/report/reportHtml.js';
import { PORTFOLIO, STREAM, appendBatches, fixtureBatches } from './projections.fixture.js';

async function model() {
  const store = await openEventStore('memory:');
  await appendBatches(store, fixtureBatches());
  return foldReport(store, PORTFOLIO, STREAM, { asOf: { kind: 'end' }, verification: null, rollingWindow: 2 });
}

describe('report HTML', () => {
  it('renders the same bytes twice in one process (chart ids do not follow the renderer’s instance counter)', async () => {
    const m = await model();
    const first = renderReportHtml(m);
    const second = renderReportHtml(await model());
    expect(second).toBe(first);
    expect(first).not.toMatch(/zr\d+-/);
    expect(first).toContain('class="cumulative-cls-0"'); // classes are named after their chart, counted from 0
  });

  it('escapes what the log says (names, parameters, decisions) and says when the log was not verified', async () => {
    const m = await model();
    const hostile = { ...m, provenance: { ...m.provenance, name: '<script>alert(1)</script>' } };
    const html = renderReportHtml(hostile);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('not verified (--no-verify)');
  });

  it('wraps a body already rendered (what serve keeps per slice) into the same page, without drawing the charts again', async () => {
    const m = await model();
    const body = renderReportBody(m);
    expect(renderReportHtml(m, { body })).toBe(renderReportHtml(m));
    const page = renderReportHtml(m, { body: '<main id="kept"></main>', tail: '<script></script>', mode: 'live' });
    expect(page).toContain('<div id="report">\n<main id="kept"></main>\n</div>\n<script></script>');
    expect(page).not.toContain('data-chart=');
  });

  it('shows the rebalance with its weights and its full recorded decision', async () => {
    const html = renderReportHtml(await model());
    expect(html).toContain('<tr data-rebalance="r1">');
    expect(html).toMatch(/61\.3% → 50\.0% → <b>56\.7%<\/b>/); // a: before → raw → final
    expect(html).toContain('max:b');
    expect(html).toMatch(/<details><summary>Full decision of r1 \(revision \d+, position \d+\): monthly<\/summary><pre>[^<]*"algorithm": "equal-weight"/);
  });

  it('says why a strategy was left out of a rebalance (warm-up, paused, liquidating) rather than showing no weight', async () => {
    const m = await model();
    const r = m.rebalances[0] as (typeof m.rebalances)[number];
    const { b: _raw, ...rawWeights } = r.decision.rawWeights;
    const { b: _final, ...finalWeights } = r.decision.finalWeights;
    const decision = { ...r.decision, rawWeights, finalWeights, leftOut: { b: 'warm-up: 2 of 63 returns' } };
    const html = renderReportHtml({ ...m, rebalances: [{ ...r, decision }] });
    const row = /<tr data-rebalance="r1">.*?<\/tr>/s.exec(html)?.[0] ?? '';
    expect(row).toMatch(/<span>b<\/span> \d+\.\d% → <span class="muted">left out: warm-up: 2 of 63 returns<\/span>/);
    expect(row).not.toMatch(/<span>b<\/span>[^<]*→ – → <b>–<\/b>/);
    expect(row).toMatch(/<span>a<\/span> 61\.3% → 50\.0% → <b>56\.7%<\/b>/);
  });

  it("writes each recorded decision's quotes as they are, escaping only what text must (&, <, >): decisions are most of a long report's bytes", async () => {
    const m = await model();
    const r = m.rebalances[0] as (typeof m.rebalances)[number];
    const hostile = { ...m, rebalances: [{ ...r, decision: { ...r.decision, reason: 'a <b>"quoted"</b> & more' } }] };
    const pre = /<pre>([^]*?)<\/pre>/.exec(renderReportHtml(hostile))?.[1] ?? '';
    expect(pre).toContain('"reason": "a &lt;b&gt;\\"quoted\\"&lt;/b&gt; &amp; more"');
    expect(pre).not.toContain('&quot;');
  });
});

describe('report charts on a long series', () => {
  const BARS = 20_000;
  const DAY = 86_400_000;
  /** The fixture's model with every per-bar series replaced by `values`, one per day over BARS days. */
  function long(m: ReportModel, values: readonly number[]): ReportModel {
    const t0 = Date.parse('2000-01-03T00:00:00.000Z');
    const times = values.map((_, i) => new Date(t0 + i * DAY).toISOString());
    return {
      ...m,
      series: {
        ...m.series,
        times,
        portfolioValue: values,
        portfolioCumulative: values,
        benchmarkCumulative: null,
        underwater: values,
        reserve: values,
        strategyValues: new Map([['a', values]]),
        rollingSharpe: values,
        rollingVolatility: values,
        portfolioReturns: values,
        rebalanceTimes: [],
      },
    };
  }
  /** Points (M and L commands) of a chart's longest path, and their highest point on the page (smallest y). */
  function drawn(svg: string): { points: number; top: number } {
    const d = [...svg.matchAll(/ d="([^"]*)"/g)].map((x) => x[1] as string).reduce((a, b) => (b.length > a.length ? b : a), '');
    const ys = [...d.matchAll(/[ML]\s*-?[\d.]+\s+(-?[\d.]+)/g)].map((x) => Number(x[1]));
    return { points: ys.length, top: Math.min(...ys) };
  }

  it('thins each line to about its pixel width for drawing, keeps a one-bar spike, and leaves the series whole', async () => {
    const wave = Array.from({ length: BARS }, (_, i) => Math.sin(i * 0.37) / 100);
    const spiked = wave.map((x, i) => (i === 12_345 ? 0.5 : x));
    const m = long(await model(), spiked);
    const charts = renderCharts(m);
    for (const name of ['cumulative', 'equity', 'underwater', 'allocation', 'rolling']) {
      const c = charts.find((x) => x.name === name);
      const { points } = drawn(c?.svg ?? '');
      // 1 120 px wide: a line is about one point per pixel, an area twice that; never one per bar.
      expect(points, name).toBeGreaterThan(500);
      expect(points, name).toBeLessThan(3_000);
    }
    const flat = renderCharts(long(await model(), wave)).find((x) => x.name === 'equity');
    const withSpike = charts.find((x) => x.name === 'equity');
    expect(drawn(withSpike?.svg ?? '').top).toBeLessThan(drawn(flat?.svg ?? '').top - 10);
    expect(m.series.portfolioCumulative).toHaveLength(BARS);
    expect(m.series.strategyValues.get('a')).toHaveLength(BARS);
  });
  /** The rebalance marks of the allocation chart: each one's x and its top and bottom on the page. */
  function rebalanceMarks(svg: string): { x: number; top: number; bottom: number }[] {
    // Vertical segments in the rebalance colour (the legend's icon of the first strategy shares it, but is horizontal).
    return [...svg.matchAll(/<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"[^>]*stroke="#1f3b73"[^>]*>/g)]
      .filter((x) => x[1] === x[3] && x[2] !== x[4])
      .map((x) => ({ x: Number(x[1]), top: Math.min(Number(x[2]), Number(x[4])), bottom: Math.max(Number(x[2]), Number(x[4])) }));
  }

  it('marks each rebalance as a line through the stacked capital while they are far apart, and as a tick at the foot of the plot when they crowd it', async () => {
    const values = Array.from({ length: BARS }, (_, i) => 1_000 + Math.sin(i * 0.01) * 100);
    const m = long(await model(), values);
    const every = (n: number): ReportModel['series']['rebalanceTimes'] =>
      m.series.times.filter((_, i) => i > 0 && i % n === 0).map((time, i) => ({ time, rebalanceId: `r${i}`, trigger: 'monthly' }));
    const allocation = (rebalanceTimes: ReportModel['series']['rebalanceTimes']) =>
      renderCharts({ ...m, series: { ...m.series, rebalanceTimes } }).find((c) => c.name === 'allocation') as { svg: string; title: string };

    const sparse = allocation(every(2_000));
    const lines = rebalanceMarks(sparse.svg);
    expect(lines).toHaveLength(9);
    for (const l of lines) expect(l.bottom - l.top).toBeGreaterThan(200);
    expect(sparse.title).toBe('Capital allocation (dotted lines: 9 rebalances)');

    // 20 000 days rebalanced monthly: 666 lines 1.5 px apart would hide the areas under a grey wash.
    const crowded = allocation(every(30));
    const ticks = rebalanceMarks(crowded.svg);
    expect(ticks.length).toBeGreaterThan(600);
    const foot = Math.max(...ticks.map((t) => t.bottom));
    for (const t of ticks) {
      expect(t.bottom - t.top).toBeLessThan(12);
      expect(t.bottom).toBe(foot);
    }
    expect(crowded.title).toBe('Capital allocation (ticks at the foot: 666 rebalances)');
  });
});

describe('report chart axes', () => {
  /** The text labels of a chart's SVG. */
  const labels = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((x) => x[1] as string);

  it('the cumulative return axis never reaches below −100% (a loss cannot), however far the curve rises', async () => {
    const m = await model();
    const times = m.series.times;
    const curve = (lo: number, hi: number): number[] => times.map((_, i) => lo + ((hi - lo) * i) / (times.length - 1));
    const axis = (values: number[]): string[] => {
      const svg = renderCharts({ ...m, series: { ...m.series, portfolioCumulative: values } }).find((c) => c.name === 'cumulative')?.svg ?? '';
      return labels(svg).filter((t) => /^-?[\d.]+%$/.test(t));
    };
    // 28 years of a 9-fold gain that dipped half a percent at the start: the nice ticks of 200% put the floor at −200%.
    const long = axis(curve(-0.005, 8.6));
    expect(long[0]).toBe('0%');
    expect(long.filter((t) => Number.parseFloat(t) < -100)).toEqual([]);
    // A curve whose nice floor is a real level keeps its ticks as they were.
    expect(axis(curve(-0.05, 0.1))[0]).toBe('-6%');
  });

  it('percent axes of a small range give each tick its own label: -0.05% is not "-0.1%" beside the real -0.1%', async () => {
    const m = await model();
    const times = m.series.times;
    // Three bars down to −0.29% (the first slices of a real backtest): ticks every 0.05%.
    const svg = renderCharts({ ...m, series: { ...m.series, underwater: times.map((_, i) => (-0.0029 * (times.length - 1 - i)) / (times.length - 1)) } }).find((c) => c.name === 'underwater')?.svg ?? '';
    const axis = labels(svg).filter((t) => /^-?[\d.]+%$/.test(t));
    expect(axis.length).toBeGreaterThan(3);
    expect(new Set(axis).size, axis.join(' ')).toBe(axis.length);
    expect(axis).toContain('-0.05%');
  });

  it('the underwater axis of a series that never fell reads down from 0%, not up to +100%', async () => {
    const m = await model();
    const svg = renderCharts({ ...m, series: { ...m.series, underwater: m.series.times.map(() => 0) } }).find((c) => c.name === 'underwater')?.svg ?? '';
    const axis = labels(svg).filter((t) => /^-?[\d.]+%$/.test(t));
    expect(axis).toContain('0%');
    expect(axis.filter((t) => Number.parseFloat(t) > 0), axis.join(' ')).toEqual([]);
  });

  it('money axes read compactly at any size: tens of millions are "40M", not "40000k"', async () => {
    const m = await model();
    const times = m.series.times;
    const big = (v: number): number[] => times.map((_, i) => v + i * 250_000);
    const scaled: ReportModel = {
      ...m,
      series: { ...m.series, portfolioValue: big(40_000_000), reserve: big(2_000_000), strategyValues: new Map([['a', big(38_000_000)]]) },
    };
    for (const name of ['equity', 'allocation']) {
      const svg = renderCharts(scaled).find((c) => c.name === name)?.svg ?? '';
      const axis = labels(svg).filter((t) => /^-?[\d.]+[kKMB]?$/.test(t));
      expect(axis.length, name).toBeGreaterThan(1);
      expect(axis.some((t) => t.endsWith('M')), `${name}: ${axis.join(' ')}`).toBe(true);
      expect(axis.filter((t) => /\d{4,}[kK]$/.test(t)), name).toEqual([]);
    }
  });
});

describe('report key metrics', () => {
  it('says "Positive bars" counts only the bars that moved: a strategy flat in cash most of the time would read as losing half its bars', async () => {
    const html = renderReportBody(await model());
    expect(html).toContain('Positive bars: the share of the bars that gained among those that gained or lost (a flat bar is neither).');
  });
});

describe('report cells of returns that round to zero', () => {
  it('show 0.00% without a sign or a colour: a cash-only year off by float noise is neither a gain nor a loss', async () => {
    const m = await model();
    const portfolio = m.yearly.get('portfolio') ?? [];
    const noisy: ReportModel = {
      ...m,
      rows: m.rows.map((r) => (r.id === 'portfolio' ? { ...r, metrics: { ...r.metrics, totalReturn: 2.220446049250313e-16, worstDay: -1e-17 } } : r)),
      yearly: new Map([...m.yearly, ['portfolio', portfolio.map((y) => ({ ...y, return: -4.4e-16 }))]]),
      monthly: m.monthly.map((x) => ({ ...x, return: -4.4e-16 })),
      correlation: { ...m.correlation, matrix: m.correlation.matrix.map((row) => row.map((x) => (x === 1 ? 1 : -1e-17))) },
    };
    const html = renderReportBody(noisy);
    expect(html).toContain('<td class="" data-metric="portfolio:totalReturn" data-value="2.220446049250313e-16">0.00%</td>');
    expect(html).toContain('<td class="" data-metric="portfolio:worstDay" data-value="-1e-17">0.00%</td>');
    expect(html).toMatch(/<td class="" data-metric="portfolio:\d{4}" data-value="-4.4e-16">0.00%<\/td>/);
    expect(html).not.toContain('-0.00%');
    expect(html).not.toContain('-0.0%'); // the monthly heatmap's labels
    expect(html).not.toContain('-0.00<'); // the correlation heatmap's
  });

  it('show money and ratios that round to zero as 0.00, uncoloured: the live table of a slice that lost a fraction of a cent', () => {
    const html = liveTable([{ strategyId: 'cash', state: 'active', value: '-0.001', lastSlicePnl: '-0.004', lastFault: null }]);
    expect(html).toContain('data-value="-0.001">0.00</td>');
    expect(html).toContain('<td class="" data-field="pnl" data-value="-0.004">0.00</td>');
    expect(html).not.toContain('>-0.00<');
  });
});

describe('report verification of a log that grew while it was folded', () => {
  it('a file report says the log was intact when the report began, not "when serve started"', async () => {
    const m = await model();
    const p = m.provenance;
    const verification = { ok: true, events: p.events - 2, headHash: 'h', headMatchesExpected: null, rebalances: 0, transfers: 1, lowestReserve: '0', marks: 1, lowestCash: '0' } as unknown as ReportModel['provenance']['verification'];
    const html = renderReportBody({ ...m, provenance: { ...p, verification } });
    expect(html).not.toContain('when serve started');
    expect(html).toContain(`<span class="ok">intact</span> when the report began (the first ${p.events - 2} events)`);
  });
});
