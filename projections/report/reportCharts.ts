// The tearsheet's charts: Apache ECharts options rendered to static SVG on the server (no script in the page), downsampled for drawing only.
import * as echarts from 'echarts';
import type { ReportModel } from './reportModel.js';
import { fixed, percent } from '../../src/display/figures.js';

/** A rendered chart: its name (a `data-chart` attribute in the page) and its SVG. */
export interface RenderedChart {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
  readonly wide: boolean;
}

type Option = echarts.EChartsCoreOption;

/** Colours chosen to stay apart in print and for red–green colour blindness (Okabe–Ito, with a navy lead). */
export const PALETTE = ['#1f3b73', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#0072b2', '#8c8c8c', '#f0e442', '#000000'];
const FONT = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const WIDE = { width: 1120, height: 320 };
const HALF = { width: 550, height: 300 };
/** Width of a wide chart's plot: the chart less the grid's left and right margins (see {@link base}). */
const PLOT_WIDTH = WIDE.width - 64 - 24;
/**
 * Closest, in pixels on average, that the allocation chart's rebalance lines may stand: closer (a monthly rebalance over
 * more than about eight years), lines through the stack would hide it under a grey wash, so each rebalance is a
 * tick at the foot of the plot instead.
 */
const MIN_REBALANCE_LINE_GAP = 10;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An axis label in percent, with the decimals its tick has: whole numbers where the ticks are whole, 0.5% or 0.05%
 * where they fall between (one decimal for all would label the ticks of a 0.3% fall -0.1%, -0.1%, -0.1%).
 */
const axisPct = (v: number): string => {
  const p = Math.round(v * 1e8) / 1e6;
  return `${Number.isInteger(p) ? p.toFixed(0) : String(Number(p.toFixed(4)))}%`;
};
/** Money on an axis, compact (52K, 1.18M, 40M, 2.5B): thousands alone printed ten million as "10000k". */
const COMPACT_MONEY = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const axisMoney = (v: number): string => COMPACT_MONEY.format(v);
const point = (t: number, v: number): [number, number | null] => [t, Number.isFinite(v) ? v : null];

/** The step ECharts picks for an axis over `span` in about five steps: 1, 2, 3, 5 or 10 times a power of ten. */
function niceStep(span: number): number {
  const rough = span / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f < 1.5 ? 1 : f < 2.5 ? 2 : f < 4 ? 3 : f < 7 ? 5 : 10) * power;
}

/**
 * The floor of the cumulative-return axis when the nice one would fall below −100%, a loss no curve can show (a
 * nine-fold gain that dipped half a percent at the start was drawn over ticks of 200% down to −200%): the curve's own
 * lowest point, its label hidden so that the ticks stay round. Undefined where the nice floor is a real level.
 */
function cumulativeFloor(curves: readonly (readonly number[])[]): number | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const curve of curves) {
    for (const v of curve) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo) || lo < -1) return undefined;
  const step = niceStep(hi - lo);
  return Math.floor(lo / step) * step < -1 ? lo : undefined;
}

function base(): Option {
  return {
    animation: false,
    useUTC: true,
    color: PALETTE,
    textStyle: { fontFamily: FONT, fontSize: 11, color: '#333' },
    grid: { left: 64, right: 24, top: 36, bottom: 30 },
    legend: { top: 4, right: 16, textStyle: { fontSize: 11 }, itemWidth: 16, itemHeight: 8 },
  };
}

const timeAxis = { type: 'time', axisLine: { lineStyle: { color: '#999' } }, splitLine: { show: false } };
const valueAxis = (format: (v: number) => string) => ({
  type: 'value',
  scale: true,
  axisLabel: { formatter: format },
  splitLine: { lineStyle: { color: '#eceef2' } },
});

/** A line series drawn from per-bar values, downsampled to the chart's width by largest-triangle-three-buckets. */
function line(name: string, xs: readonly number[], ys: readonly number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'line', showSymbol: false, sampling: 'lttb', lineStyle: { width: 1.4 }, data: xs.map((t, i) => point(t, ys[i] as number)), ...extra };
}

function histogram(values: readonly number[], bins: number): { centres: number[]; counts: number[]; width: number } {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { centres: [], counts: [], width: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  const width = hi > lo ? (hi - lo) / bins : 1e-4;
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) {
    const i = Math.min(bins - 1, Math.floor((x - lo) / width));
    counts[i] = (counts[i] as number) + 1;
  }
  return { centres: counts.map((_, i) => lo + (i + 0.5) * width), counts, width };
}

/** A chart's option with its name, title and width. */
export interface ChartOption {
  readonly name: string;
  readonly title: string;
  readonly wide: boolean;
  readonly option: Option;
}

/**
 * Every chart option of the report, in page order. A generator, so that one chart's per-bar data (a pair per bar and
 * series) exists at a time: on a 454 545-bar log, building them all at once held every series of every chart together.
 */
export function* chartOptions(m: ReportModel): Generator<ChartOption> {
  const t = m.series.times.map((x) => Date.parse(x));
  const cumulativeSeries = [line('Portfolio', t, m.series.portfolioCumulative, { lineStyle: { width: 1.8 }, areaStyle: { opacity: 0.06 } })];
  if (m.series.benchmarkCumulative !== null && m.benchmark !== null) {
    cumulativeSeries.push(line(`${m.benchmark.symbol} (buy and hold)`, t, m.series.benchmarkCumulative, { lineStyle: { width: 1.2, type: 'dashed' } }));
  }
  const cumulativeMin = cumulativeFloor(m.series.benchmarkCumulative === null ? [m.series.portfolioCumulative] : [m.series.portfolioCumulative, m.series.benchmarkCumulative]);
  yield {
    name: 'cumulative',
    title: 'Cumulative return',
    wide: true,
    option: {
      ...base(),
      xAxis: timeAxis,
      yAxis: cumulativeMin === undefined ? valueAxis(axisPct) : { ...valueAxis(axisPct), min: cumulativeMin, axisLabel: { formatter: axisPct, showMinLabel: false } },
      series: cumulativeSeries,
    },
  };
  yield {
    name: 'equity',
    title: 'Strategy equity',
    wide: true,
    option: {
      ...base(),
      xAxis: timeAxis,
      yAxis: valueAxis(axisMoney),
      series: [...m.series.strategyValues].map(([id, values]) => line(id, t, values)),
    },
  };
  yield {
    name: 'underwater',
    title: 'Underwater (drawdown from peak)',
    wide: true,
    option: {
      ...base(),
      legend: { show: false },
      xAxis: timeAxis,
      // A series that never fell is all 0: ECharts would then stretch the axis up from 0 to +100%, a "drawdown" above the
      // peak. A floor of −1% keeps it reading downwards; a dip of float noise (−2e-16) is no fall either.
      yAxis: { ...valueAxis(axisPct), max: 0, ...(m.series.underwater.some((x) => x < -1e-9) ? {} : { min: -0.01 }) },
      series: [line('Drawdown', t, m.series.underwater, { color: '#c0392b', lineStyle: { width: 1 }, areaStyle: { color: '#c0392b', opacity: 0.25 } })],
    },
  };
  const stackedValues = [...m.series.strategyValues].map(([id, values]) => [id, values.map((v) => (Number.isFinite(v) ? v : 0))] as const);
  const stacked = stackedValues.map(([id, values]) =>
    line(id, t, values, { stack: 'capital', sampling: 'average', lineStyle: { width: 0.6 }, areaStyle: { opacity: 0.75 } }),
  );
  // The stack's foot and top: ECharts stacks negative values below zero and positive ones above.
  let floor = 0;
  let top = 0;
  for (let i = 0; i < t.length; i += 1) {
    const reserve = m.series.reserve[i] ?? 0;
    let below = Math.min(0, reserve);
    let above = Math.max(0, reserve);
    for (const [, values] of stackedValues) {
      const v = values[i] as number;
      if (v < 0) below += v;
      else above += v;
    }
    floor = Math.min(floor, below);
    top = Math.max(top, above);
  }
  const rebalances = m.series.rebalanceTimes.map((r) => Date.parse(r.time));
  const crowded = rebalances.length > PLOT_WIDTH / MIN_REBALANCE_LINE_GAP;
  const tick = (top - floor) * 0.03;
  stacked.push(
    line('reserve', t, m.series.reserve, {
      stack: 'capital',
      sampling: 'average',
      color: '#c9ced6',
      lineStyle: { width: 0.6 },
      areaStyle: { opacity: 0.75 },
      markLine: {
        symbol: 'none',
        silent: true,
        label: { show: false },
        lineStyle: { color: '#1f3b73', type: crowded ? 'solid' : 'dotted', width: 0.8, opacity: 0.7 },
        data: crowded
          ? rebalances.map((x) => [{ coord: [x, floor] }, { coord: [x, floor + tick] }])
          : rebalances.map((x) => ({ xAxis: x })),
      },
    }),
  );
  yield {
    name: 'allocation',
    title: `Capital allocation (${crowded ? 'ticks at the foot' : 'dotted lines'}: ${rebalances.length} rebalances)`,
    wide: true,
    option: {
      ...base(),
      xAxis: timeAxis,
      // A stack's height is the total: its foot stays at zero (or below, for negative values), not where the axis would
      // scale to.
      yAxis: { ...valueAxis(axisMoney), min: floor },
      series: stacked,
    },
  };
  yield {
    name: 'rolling',
    // A window longer than the log has no value to draw: the caption says why the chart is bare.
    title:
      m.series.times.length < m.series.rollingWindow
        ? `Rolling Sharpe and volatility (${m.series.rollingWindow} bars): none yet, the log has ${m.series.times.length} bars; give a shorter --window`
        : `Rolling Sharpe and volatility (${m.series.rollingWindow} bars)`,
    wide: true,
    option: {
      ...base(),
      grid: { left: 64, right: 64, top: 36, bottom: 30 },
      legend: { top: 4, left: 'center', textStyle: { fontSize: 11 }, itemWidth: 16, itemHeight: 8 },
      xAxis: timeAxis,
      yAxis: [
        { ...valueAxis((v) => v.toFixed(1)), name: 'Sharpe', nameTextStyle: { fontSize: 10 } },
        { ...valueAxis(axisPct), name: 'Volatility', nameTextStyle: { fontSize: 10 }, splitLine: { show: false } },
      ],
      series: [
        line('Sharpe', t, m.series.rollingSharpe, { color: PALETTE[0] }),
        line('Volatility (annualised)', t, m.series.rollingVolatility, { yAxisIndex: 1, color: PALETTE[1] }),
      ],
    },
  };
  const years = [...new Set(m.monthly.map((p) => p.period.slice(0, 4)))];
  const cells = m.monthly.map((p) => [Number(p.period.slice(5, 7)) - 1, years.indexOf(p.period.slice(0, 4)), p.return]);
  const extreme = Math.max(0.001, ...m.monthly.map((p) => Math.abs(p.return)));
  yield {
    name: 'monthly',
    title: 'Monthly returns',
    wide: false,
    option: {
      ...base(),
      grid: { left: 48, right: 12, top: 12, bottom: 28 },
      xAxis: { type: 'category', data: MONTHS, splitArea: { show: false }, axisTick: { show: false } },
      yAxis: { type: 'category', data: years, inverse: true, axisTick: { show: false } },
      visualMap: { show: false, min: -extreme, max: extreme, inRange: { color: ['#b2182b', '#f7f7f7', '#1a7f4b'] } },
      series: [
        {
          type: 'heatmap',
          data: cells,
          label: { show: true, fontSize: 9, formatter: (p: { value: number[] }) => percent(p.value[2] as number, 1) },
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
        },
      ],
    },
  };
  const h = histogram(m.series.portfolioReturns, 50);
  yield {
    name: 'distribution',
    title: 'Distribution of returns (per bar)',
    wide: false,
    option: {
      ...base(),
      legend: { show: false },
      grid: { left: 48, right: 12, top: 24, bottom: 28 },
      xAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => percent(v, 1) }, splitLine: { show: false } },
      yAxis: { type: 'value', splitLine: { lineStyle: { color: '#eceef2' } } },
      series: [
        {
          type: 'bar',
          barWidth: '96%',
          color: PALETTE[0],
          data: h.centres.map((c, i) => [c, h.counts[i] as number]),
          barCategoryGap: 0,
          markLine: {
            symbol: 'none',
            silent: true,
            label: { formatter: 'VaR 95%', fontSize: 9 },
            lineStyle: { color: '#c0392b', type: 'dashed' },
            data: Number.isFinite(m.rows[0]?.metrics.valueAtRisk95 ?? Number.NaN) ? [{ xAxis: m.rows[0]?.metrics.valueAtRisk95 }] : [],
          },
        },
      ],
    },
  };
  const ids = m.correlation.ids;
  yield {
    name: 'correlation',
    title: 'Correlation of strategy returns',
    wide: false,
    option: {
      ...base(),
      grid: { left: 80, right: 12, top: 12, bottom: 40 },
      xAxis: { type: 'category', data: [...ids], axisTick: { show: false }, axisLabel: { rotate: ids.length > 4 ? 30 : 0 } },
      yAxis: { type: 'category', data: [...ids], inverse: true, axisTick: { show: false } },
      visualMap: { show: false, min: -1, max: 1, inRange: { color: ['#2166ac', '#f7f7f7', '#b2182b'] } },
      series: [
        {
          type: 'heatmap',
          data: ids.flatMap((_, i) => ids.map((__, j) => [j, i, m.correlation.matrix[i]?.[j] ?? Number.NaN]).filter((c) => Number.isFinite(c[2]))),
          label: { show: true, fontSize: 10, formatter: (p: { value: number[] }) => fixed(p.value[2] as number) },
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
        },
      ],
    },
  };
}

/**
 * Renames ZRender's generated ids and classes (`zr<instance>-<kind><counter>`, both counters process-wide) to
 * `<chart>-<kind><n>`, n counted per kind in order of appearance: the same model then gives the same text in any
 * process, and charts in one page never clash.
 */
export function stableIds(svg: string, chart: string): string {
  const renamed = new Map<string, string>();
  const perKind = new Map<string, number>();
  return svg.replace(/\bzr\d+-([a-z]+-?)(\d+)/g, (whole: string, kind: string) => {
    let id = renamed.get(whole);
    if (id === undefined) {
      const n = perKind.get(kind) ?? 0;
      perKind.set(kind, n + 1);
      id = `${chart}-${kind}${n}`;
      renamed.set(whole, id);
    }
    return id;
  });
}

/** Renders every chart to SVG with stable ids (see {@link stableIds}). */
export function renderCharts(m: ReportModel): RenderedChart[] {
  const out: RenderedChart[] = [];
  // One chart at a time: its option and the renderer's copy of its data are dropped before the next is built.
  for (const { name, title, wide, option } of chartOptions(m)) {
    const size = wide ? WIDE : HALF;
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...size });
    try {
      chart.setOption(option);
      out.push({ name, title, wide, svg: stableIds(chart.renderToSVGString(), name) });
    } finally {
      chart.dispose();
    }
  }
  return out;
}
