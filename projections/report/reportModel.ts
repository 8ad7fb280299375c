// The tearsheet's content as plain data: every figure taken from the projections' states (the numbers replay and audit give) or computed from their per-bar series.
import { decStr, ZERO, type DecString } from '../../src/money/decimal.js';
import {
  alpha,
  beta,
  bestWorst,
  cagr,
  compound,
  correlation,
  drawdownPeriods,
  elapsedYears,
  expectedShortfall,
  informationRatio,
  kurtosis,
  longestDrawdownDays,
  periodReturns,
  rollingSharpe,
  rollingVolatility,
  skew,
  timeInMarket,
  trackingError,
  turnover,
  underwater,
  valueAtRisk,
  conventionOptions,
  resolveMetricOptions,
  type DrawdownPeriod,
  type MetricSummary,
  type YearlyConventions,
  type PeriodReturn,
  type BestWorst,
  LOSS_BEYOND_VALUE,
} from '../../src/metrics/index.js';
import type { AsOf, RunResult } from '../runner.js';
import type { VerificationResult } from '../logVerification.js';
import type { FeedRecordVerification } from '../feedRecordVerification.js';
import { portfolioSummary, type PortfolioSummary } from '../portfolio.js';
import { strategyMetrics } from '../performance.js';
import { correlationView } from '../correlation.js';
import { tradeSummaries, type TradeSummary } from '../trades.js';
import { averageCashFraction } from '../cashFraction.js';
import type { RebalanceRecord } from '../rebalanceAudit.js';
import { pausedStrategies, type Incident, type PausedStrategy } from '../incidents.js';
import type { standardProjections } from '../index.js';
import type { ReportSeriesState } from './reportSeries.js';

/**
 * Shortest span of returns, in years, whose CAGR the report shows: a return over less than a year is not annualised
 * (the GIPS rule) — 1% in a 100-minute session would read as a growth rate of 10^21 a year.
 */
export const MIN_CAGR_YEARS = 1;

/** Default window of the rolling Sharpe and volatility, in bars (half a trading year). */
export const DEFAULT_ROLLING_WINDOW = 126;

/** The metrics `replay` gives plus those a tearsheet adds. Returns are fractions; money is a decimal string. */
export interface KeyMetrics extends MetricSummary {
  /** Mean share of a strategy's value held in cash over its marks, as `replay` gives it; NaN for the portfolio row. */
  readonly averageCashFraction: number;
  readonly cagr: number;
  readonly skew: number;
  readonly kurtosis: number;
  readonly valueAtRisk95: number;
  readonly expectedShortfall95: number;
  readonly bestDay: number;
  readonly worstDay: number;
  readonly bestMonth: number;
  readonly worstMonth: number;
  readonly bestYear: number;
  readonly worstYear: number;
  readonly longestDrawdownDays: number;
  readonly timeInMarket: number;
  readonly turnover: number;
  readonly commissions: DecString;
  /** Why the compounded figures are undefined (a bar lost more than the whole value), else null; as `replay` says it. */
  readonly compoundingNote: string | null;
}

/** One row of the key-metrics table. */
export interface MetricsRow {
  /** `portfolio` or a strategy id. */
  readonly id: string;
  readonly kind: 'portfolio' | 'strategy' | 'benchmark';
  readonly metrics: KeyMetrics;
}

/** Figures relative to the benchmark. */
export interface BenchmarkFigures {
  readonly symbol: string;
  /** Bar time of its first recorded mark, where it is bought: the first bar's, or later for a symbol listed later. */
  readonly since: string;
  /** The benchmark's return from {@link since} on. */
  readonly totalReturn: number;
  /** The portfolio's return over the same bars (from {@link since} on), the figure to read beside {@link totalReturn}. */
  readonly portfolioReturn: number;
  readonly beta: number;
  readonly alpha: number;
  readonly correlation: number;
  readonly trackingError: number;
  readonly informationRatio: number;
}

/** A strategy in the live table. */
export interface LiveRow {
  readonly strategyId: string;
  readonly state: string;
  readonly value: DecString | null;
  readonly lastSlicePnl: DecString | null;
  /** The strategy's last fault: its bar time and what happened (phase, error, action); null when it never faulted. */
  readonly lastFault: { readonly barTime: string | null; readonly text: string } | null;
}

/** Everything the report shows. */
export interface ReportModel {
  readonly provenance: {
    readonly portfolioId: string;
    readonly name: string;
    readonly baseCurrency: string;
    readonly configHash: string;
    readonly codeVersion: string;
    readonly events: number;
    readonly position: number;
    readonly headHash: string | null;
    readonly asOf: string;
    readonly lastBarTime: string | null;
    readonly firstBarTime: string | null;
    readonly bars: number;
    /** The bar time of the slice a position as-of fell inside, left out (the report ends with the slice before it); else null. */
    readonly incompleteSlice: string | null;
    readonly verification: VerificationResult | null;
    /** When the verification was made ({@link ReportModelOptions.verifiedWhen}). */
    readonly verifiedWhen: string;
    /** The verdict on a paper session's feed record (null: none, or not verified); a broken one is refused before. */
    readonly feedRecord: FeedRecordVerification | null;
  };
  readonly summary: PortfolioSummary;
  readonly rows: readonly MetricsRow[];
  /** Annual risk-free rate of the Sharpe, omega, alpha and rolling Sharpe figures. */
  readonly annualRiskFree: number;
  /** Bars a year: the factor that annualises them. */
  readonly annualization: number;
  readonly nettingSaved: DecString;
  readonly benchmark: BenchmarkFigures | null;
  readonly series: {
    readonly times: readonly string[];
    readonly portfolioValue: readonly number[];
    readonly portfolioCumulative: readonly number[];
    readonly benchmarkCumulative: readonly number[] | null;
    readonly underwater: readonly number[];
    readonly reserve: readonly number[];
    readonly strategyValues: ReadonlyMap<string, readonly number[]>;
    readonly rollingWindow: number;
    readonly rollingSharpe: readonly number[];
    readonly rollingVolatility: readonly number[];
    readonly portfolioReturns: readonly number[];
    readonly rebalanceTimes: readonly { readonly time: string; readonly rebalanceId: string; readonly trigger: string }[];
  };
  readonly monthly: readonly PeriodReturn[];
  readonly yearly: ReadonlyMap<string, readonly PeriodReturn[]>;
  readonly correlation: { readonly ids: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  readonly drawdowns: readonly DrawdownPeriod[];
  readonly rebalances: readonly RebalanceRecord[];
  readonly rebalanceTotal: number;
  readonly trades: readonly TradeSummary[];
  readonly parameters: readonly { readonly scope: string; readonly key: string; readonly value: string }[];
  readonly live: readonly LiveRow[];
  /** Why strategies stopped trading: the faults, liquidations and strategies paused now `replay --json` lists. */
  readonly incidents: {
    readonly faults: readonly Incident[];
    readonly liquidations: readonly Incident[];
    readonly paused: readonly PausedStrategy[];
  };
}

type Standard = ReturnType<typeof standardProjections>;

/** The states a report is built from: the standard projections and the report series, folded together. */
export type ReportStates = RunResult<Standard & { readonly series: import('../projection.js').Projection<ReportSeriesState> }>;

/** Options of {@link buildReportModel}. */
export interface ReportModelOptions {
  readonly asOf: AsOf;
  readonly verification: VerificationResult | null;
  readonly feedRecord?: FeedRecordVerification | null;
  readonly rollingWindow?: number;
  /** Risk-free rate and bars a year (defaults 0 and 252): give those the states were folded with. */
  readonly conventions?: YearlyConventions;
  /**
   * When the verification was made, as the page says it of a log that grew after it (a backtest or paper session
   * writing meanwhile): `when serve started` for `serve`; `when the report began` by default.
   */
  readonly verifiedWhen?: string;
}

/**
 * Returns and times from the first return to the last: a strategy added later has no returns before, and one removed
 * has none after; the bars outside its life are not its time (they would stretch its CAGR and its last drawdown).
 */
function ownSpan(returns: readonly number[], times: readonly string[]): { returns: number[]; times: string[]; from: number; to: number } {
  let i = 0;
  while (i < returns.length && Number.isNaN(returns[i] as number)) i += 1;
  let j = returns.length;
  while (j > i && Number.isNaN(returns[j - 1] as number)) j -= 1;
  return { returns: returns.slice(i, j), times: times.slice(i, j), from: i, to: j };
}

function keyMetrics(
  summary: MetricSummary,
  allReturns: readonly number[],
  allTimes: readonly string[],
  exposure: readonly number[],
  values: readonly number[],
  traded: number,
  commissions: DecString,
  averageCash: number,
): KeyMetrics {
  const { returns, times, from, to } = ownSpan(allReturns, allTimes);
  // A day is a UTC calendar day, as a month is: on intraday bars the extremes of single bars are not days. Bars without
  // a return are left out, so a day of none gives no 0% and, on daily bars, each day is its one bar.
  const present = returns.flatMap((r, i) => (Number.isNaN(r) ? [] : [i]));
  const days = extremes(periodReturns(present.map((i) => returns[i] as number), present.map((i) => times[i] as string), 'day'));
  const months = extremes(periodReturns(returns, times, 'month'));
  const years = extremes(periodReturns(returns, times, 'year'));
  return {
    ...summary,
    cagr: elapsedYears(times) >= MIN_CAGR_YEARS ? cagr(returns, times) : Number.NaN,
    skew: skew(returns),
    kurtosis: kurtosis(returns),
    valueAtRisk95: valueAtRisk(returns, 0.95),
    expectedShortfall95: expectedShortfall(returns, 0.95),
    bestDay: days.best,
    worstDay: days.worst,
    bestMonth: months.best,
    worstMonth: months.worst,
    bestYear: years.best,
    worstYear: years.worst,
    longestDrawdownDays: longestDrawdownDays(returns, times),
    // Over the same bars as the returns: a stopped strategy holds nothing and is worth nothing after its last bar, which
    // would dilute its time in market and shrink the mean value its turnover divides by (191× for one sold out in 162
    // of 7 126 bars).
    timeInMarket: timeInMarket(exposure.slice(from, to)),
    turnover: turnover(traded, values.slice(from, to)),
    commissions,
    averageCashFraction: averageCash,
    compoundingNote: returns.some((r) => r < -1) ? LOSS_BEYOND_VALUE : null,
  };
}

/**
 * The best and worst period. A period's return is NaN only from a bar that lost more than the whole value on
 * ({@link periodReturns}): the extremes of the periods before it would read as the series' own (a worst year of −2%
 * for a portfolio that went below zero), so both are undefined then, as its total return and drawdowns are.
 */
function extremes(periods: readonly PeriodReturn[]): BestWorst {
  if (periods.some((p) => Number.isNaN(p.return))) return { best: Number.NaN, worst: Number.NaN };
  return bestWorst(periods.map((p) => p.return));
}

/** Π(1 + r) − 1 after each return, NaN counting as 0; NaN from a return below −100% on ({@link compound}). */
function cumulative(returns: readonly number[]): number[] {
  let g = 1;
  return returns.map((r) => {
    if (!Number.isNaN(r)) g = compound(g, r);
    return g - 1;
  });
}

function flatten(value: unknown, prefix: string, out: { key: string; value: string }[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const k of Object.keys(value).sort()) flatten((value as Record<string, unknown>)[k], prefix === '' ? k : `${prefix}.${k}`, out);
    return;
  }
  out.push({ key: prefix, value: JSON.stringify(value) ?? 'undefined' });
}

function asOfText(asOf: AsOf, result: ReportStates): string {
  switch (asOf.kind) {
    case 'end':
      return 'end of log';
    case 'position':
      if (result.incompleteSlice !== null) {
        return `position ${asOf.position}, rounded down to the last complete slice (position ${result.position}; the slice of ${result.incompleteSlice} is left out)`;
      }
      return `position ${asOf.position}`;
    case 'revision':
      return `revision ${asOf.revision}`;
    case 'time':
      return asOf.time;
  }
}

/**
 * Builds the report's content from one fold of the standard projections and the report series.
 * The summary, each strategy's replay metrics and the correlations are the values `replay --json` prints; the
 * rebalance timeline is `audit --json`'s list.
 */
export function buildReportModel(id: string, result: ReportStates, options: ReportModelOptions): ReportModel {
  const s = result.states;
  const series = s.series;
  const metricOptions = conventionOptions(options.conventions);
  const summary = portfolioSummary(s.portfolio, s.performance, metricOptions);
  const times = series.times;
  const ids = [...series.strategies.keys()].sort();
  let tradedAll = ZERO;
  let commissionsAll = ZERO;
  for (const t of series.totals.values()) {
    tradedAll = tradedAll.plus(t.tradedValue);
    commissionsAll = commissionsAll.plus(t.commissions);
  }
  const portfolioExposure = times.map((_, i) => ids.reduce((sum, sid) => {
    const e = series.strategies.get(sid)?.exposure[i] ?? Number.NaN;
    return Number.isNaN(e) ? sum : sum + Math.abs(e);
  }, 0));
  const rows: MetricsRow[] = [
    {
      id: 'portfolio',
      kind: 'portfolio',
      // The portfolio's turnover is what it traded with the market: orders its strategies crossed with each other (netting)
      // moved no position of the portfolio and paid no commission, as its commissions beside it say.
      metrics: keyMetrics(summary.metrics, series.portfolioReturns, times, portfolioExposure, series.portfolioValues, tradedAll.minus(series.crossedValue).toNumber(), decStr(commissionsAll), Number.NaN),
    },
  ];
  const replayMetrics = new Map(strategyMetrics(s.performance, metricOptions).map((m) => [m.strategyId, m]));
  for (const sid of ids) {
    const st = series.strategies.get(sid);
    const m = replayMetrics.get(sid);
    if (!st || !m) continue;
    const totals = series.totals.get(sid);
    const { strategyId: _ignored, ...metricSummary } = m;
    rows.push({
      id: sid,
      kind: 'strategy',
      metrics: keyMetrics(metricSummary, st.returns, times, st.exposure, st.values, totals?.tradedValue.toNumber() ?? 0, decStr(totals?.commissions ?? ZERO), averageCashFraction(s.cashFraction, sid) ?? Number.NaN),
    });
  }
  let benchmark: BenchmarkFigures | null = null;
  let benchmarkCumulative: number[] | null = null;
  if (series.benchmark !== null) {
    const marks = series.benchmark.marks;
    const bReturns = marks.map((m, i) => (i === 0 ? Number.NaN : m / (marks[i - 1] as number) - 1));
    // The benchmark is bought at the first bar's close, as the portfolio's first return is measured from its capital;
    // a symbol listed later is bought at its first mark, and has no curve before it (not a flat one).
    const first = Math.max(0, marks.findIndex((m) => !Number.isNaN(m)));
    const pr = series.portfolioReturns.map((r, i) => (i === 0 ? Number.NaN : r));
    benchmarkCumulative = cumulative(bReturns).map((c, i) => (i < first ? Number.NaN : c));
    const portfolioSince = cumulative(pr.map((r, i) => (i <= first ? Number.NaN : r)));
    benchmark = {
      symbol: series.benchmark.symbol,
      since: times[first] ?? '',
      totalReturn: benchmarkCumulative[benchmarkCumulative.length - 1] ?? Number.NaN,
      portfolioReturn: portfolioSince[portfolioSince.length - 1] ?? Number.NaN,
      beta: beta(pr, bReturns, metricOptions),
      alpha: alpha(pr, bReturns, metricOptions),
      correlation: correlation(pr, bReturns),
      trackingError: trackingError(pr, bReturns, metricOptions),
      informationRatio: informationRatio(pr, bReturns, metricOptions),
    };
  }
  const window = options.rollingWindow ?? DEFAULT_ROLLING_WINDOW;
  const yearly = new Map<string, readonly PeriodReturn[]>([['portfolio', periodReturns(series.portfolioReturns, times, 'year')]]);
  for (const sid of ids) {
    const st = series.strategies.get(sid);
    if (st) {
      const trimmed = ownSpan(st.returns, times);
      yearly.set(sid, periodReturns(trimmed.returns, trimmed.times, 'year'));
    }
  }
  const lifecycle = summary.strategies;
  const parameters: { scope: string; key: string; value: string }[] = [];
  const config: { key: string; value: string }[] = [];
  flatten(series.opened?.config ?? {}, '', config);
  for (const c of config) parameters.push({ scope: 'portfolio', ...c });
  for (const [sid, p] of [...series.parameters].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const flat: { key: string; value: string }[] = [];
    flatten(p.parameters, '', flat);
    parameters.push({ scope: sid, key: 'kind', value: JSON.stringify(p.kind) }, ...flat.map((f) => ({ scope: sid, ...f })));
  }
  const strategyIdsAll = [...new Set([...ids, ...Object.keys(lifecycle)])].sort();
  return {
    provenance: {
      portfolioId: id,
      name: summary.name,
      baseCurrency: summary.baseCurrency,
      configHash: series.opened?.configHash ?? '',
      codeVersion: series.opened?.codeVersion ?? '',
      events: result.revision + 1,
      position: result.position,
      headHash: series.headHash,
      asOf: asOfText(options.asOf, result),
      lastBarTime: summary.asOf,
      firstBarTime: times[0] ?? null,
      bars: times.length,
      incompleteSlice: result.incompleteSlice,
      verification: options.verification,
      verifiedWhen: options.verifiedWhen ?? 'when the report began',
      feedRecord: options.feedRecord ?? null,
    },
    summary,
    rows,
    annualRiskFree: options.conventions?.annualRiskFree ?? 0,
    annualization: resolveMetricOptions(metricOptions).annualization,
    nettingSaved: decStr(series.nettingSaved),
    benchmark,
    series: {
      times,
      portfolioValue: series.portfolioValues,
      portfolioCumulative: cumulative(series.portfolioReturns),
      benchmarkCumulative,
      underwater: [...underwater(series.portfolioReturns)],
      reserve: series.reserve,
      strategyValues: new Map(ids.map((sid) => [sid, series.strategies.get(sid)?.values ?? []])),
      rollingWindow: window,
      rollingSharpe: [...rollingSharpe(series.portfolioReturns, window, metricOptions)],
      rollingVolatility: [...rollingVolatility(series.portfolioReturns, window, metricOptions)],
      portfolioReturns: series.portfolioReturns,
      rebalanceTimes: series.rebalances.map((r) => ({ time: times[Math.min(r.barIndex, times.length - 1)] ?? r.barTime ?? '', rebalanceId: r.rebalanceId, trigger: r.trigger })),
    },
    monthly: periodReturns(series.portfolioReturns, times, 'month'),
    yearly,
    correlation: correlationView(s.correlation, s.performance),
    drawdowns: drawdownPeriods(series.portfolioReturns, times).slice(0, 5),
    rebalances: s.rebalances.rebalances,
    rebalanceTotal: s.rebalances.total,
    trades: tradeSummaries(s.trades),
    parameters,
    live: strategyIdsAll.map((sid) => {
      const t = series.totals.get(sid);
      const fault = t?.lastFault ?? null;
      return {
        strategyId: sid,
        state: lifecycle[sid] ?? '-',
        value: s.performance.accounts.strategies.get(sid)?.value.toString() ?? null,
        lastSlicePnl: t?.lastSlicePnl ? decStr(t.lastSlicePnl) : null,
        lastFault: fault === null ? null : { barTime: fault.barTime, text: `${fault.phase}: ${fault.error} (${fault.action})` },
      };
    }),
    incidents: { faults: s.incidents.faults, liquidations: s.incidents.liquidations, paused: pausedStrategies(s.incidents) },
  };
}
