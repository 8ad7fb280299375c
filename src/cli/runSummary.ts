// Running a portfolio from the command line: progress on a TTY, and the summary printed after a backtest or demo.
import cliProgress from 'cli-progress';
import type { Portfolio, SliceReport } from '../../actors/portfolio.js';
import type { BarSlice } from '../market/bar.js';
import { dictionaryOf } from '../collections/dictionary.js';
import { dec } from '../money/decimal.js';
import { GENESIS_HASH, portfolioStream } from '../../events/envelope.js';
import type { EventStore } from '../../events/store.js';
import { fixed, money, percent } from '../display/figures.js';
import { formatTable, wrapText, type CliIO } from './output.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { performanceProjection, strategyMetrics, type PerformanceState } from '../../projections/performance.js';
import { portfolioProjection, portfolioSummary, type PortfolioState } from '../../projections/portfolio.js';
import { incidentsProjection, pausedStrategies, type Incident, type IncidentsState, type PausedStrategy } from '../../projections/incidents.js';
import { LOSS_BEYOND_VALUE, compoundingNote, conventionOptions, resolveMetricOptions, type MetricSummary, type YearlyConventions } from '../metrics/index.js';

/** The JSON summary of `backtest` and `demo` (money as decimal strings, returns as fractions). */
export interface RunSummaryJson {
  readonly portfolioId: string;
  readonly store: string;
  readonly resumed: boolean;
  readonly slicesThisRun: number;
  readonly slices: number;
  /** The first bar this run applied (null when it applied none); a fresh run's is the log's first. */
  readonly firstBarTime: string | null;
  /** The log's last bar. */
  readonly lastBarTime: string | null;
  readonly events: number;
  /** Hash of the log's last event: kept elsewhere, it lets `audit --verify --expect-head` detect a log cut short. */
  readonly headHash: string;
  readonly totalCapital: string;
  readonly portfolioValue: string;
  readonly reserve: string;
  readonly portfolioReturn: number;
  readonly rebalances: number;
  readonly netting: { readonly grossTradedValue: string; readonly netTradedValue: string; readonly commissionSaved: string };
  /** The portfolio's own statistics (its value series, reserve included); non-finite figures are null. */
  readonly statistics: RunStatistics;
  readonly strategies: readonly {
    readonly id: string;
    readonly kind: string;
    readonly state: string;
    readonly value: string;
    readonly cash: string;
    readonly weight: number;
    /**
     * The strategy's compounded return net of capital transfers, the figure `replay` gives as its `totalReturn`; null
     * when it is undefined, with the reason in `timeWeightedReturnNote` (a bar lost more than its whole value).
     */
    readonly timeWeightedReturn: number | null;
    readonly timeWeightedReturnNote: string | null;
    /** Mean of cash ÷ value over the marks that valued the strategy above zero (null before any). */
    readonly averageCashFraction: number | null;
    readonly positions: Readonly<Record<string, string>>;
  }[];
  /**
   * Where losses went past what the configured risk rules bound: a strategy whose drawdown went beyond
   * `risk.maxDrawdown` (by more than a quarter of the limit), a strategy or the portfolio valued below zero. Empty when
   * the rules held.
   */
  readonly riskBreaches: readonly string[];
}

/** Statistics of a run, folded from its log by the projections (null where a figure is undefined, e.g. too few bars). */
export interface RunStatistics {
  /** The annual risk-free rate used and its per-bar equivalent ((1 + annual)^(1/annualization) − 1). */
  readonly riskFree: { readonly annual: number; readonly perBar: number; readonly annualization: number };
  readonly portfolio: { readonly [K in keyof MetricSummary]: number | null };
  /** Why the portfolio's compounded figures are null (its value went below zero within a bar), else null. */
  readonly portfolioNote: string | null;
  /** Each strategy's compounded return (replay's `totalReturn`; null where undefined) and why it is undefined. */
  readonly strategyReturns: Readonly<Record<string, { readonly totalReturn: number | null; readonly note: string | null }>>;
  /** Σ wᵢ × Sharpeᵢ over the strategies, wᵢ their share of the invested value: not the portfolio's Sharpe. */
  readonly capitalWeightedStrategySharpe: number | null;
  /** Every fault: strategy, bar time, message. */
  readonly faults: readonly Incident[];
  /** Every liquidation (a strategy sold out by the drawdown limit, its fault policy or a removal): strategy, bar time, reason. */
  readonly liquidations: readonly Incident[];
  /** Strategies paused at the end, with since when and why. */
  readonly paused: readonly PausedStrategy[];
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Folds a portfolio's log into its statistics, faults and pauses, stated in `conventions`. */
export async function runStatistics(store: EventStore, portfolioId: string, conventions: YearlyConventions): Promise<RunStatistics> {
  const options = conventionOptions(conventions);
  // No checkpoints: a run's summary must leave the store as the run left it.
  const runner = new ProjectionRunner(
    store,
    { portfolio: portfolioProjection, performance: performanceProjection(options), incidents: incidentsProjection() },
    { stream: portfolioStream(portfolioId), checkpointEvery: 0 },
  );
  const { states } = await runner.run();
  return statisticsOf(states, conventions);
}

/** The statistics of folded portfolio, performance and incidents states (the performance fold made with the same rate). */
export function statisticsOf(
  states: { readonly portfolio: PortfolioState; readonly performance: PerformanceState; readonly incidents: IncidentsState },
  conventions: YearlyConventions,
): RunStatistics {
  const options = conventionOptions(conventions);
  const resolved = resolveMetricOptions(options);
  const summary = portfolioSummary(states.portfolio, states.performance, options);
  const metrics = Object.fromEntries(Object.entries(summary.metrics).map(([k, v]) => [k, finite(v)])) as RunStatistics['portfolio'];
  return {
    riskFree: { annual: conventions.annualRiskFree ?? 0, perBar: resolved.riskFree, annualization: resolved.annualization },
    portfolio: metrics,
    portfolioNote: compoundingNote(states.performance.portfolio),
    strategyReturns: dictionaryOf(strategyMetrics(states.performance, options).map((m) => [m.strategyId, { totalReturn: finite(m.totalReturn), note: m.compoundingNote }] as const)),
    capitalWeightedStrategySharpe: finite(summary.capitalWeightedSharpe),
    faults: states.incidents.faults,
    liquidations: states.incidents.liquidations,
    paused: pausedStrategies(states.incidents),
  };
}

/**
 * Runs `source` through the portfolio, with a progress bar on a TTY (never in pipes or with --json).
 * @returns how many slices this run processed, and the bar time of the first.
 */
export async function runWithProgress(portfolio: Portfolio, source: AsyncIterable<BarSlice>, io: CliIO, options: { readonly total?: number; readonly quiet: boolean }): Promise<{ slices: number; firstBarTime: string | null }> {
  const showProgress = !options.quiet && io.stderr.isTTY === true;
  const bar = showProgress
    ? new cliProgress.SingleBar({ format: 'slices {bar} {value}/{total} {time}', stream: io.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(options.total ?? 0, 0, { time: '' });
  let first: string | null = null;
  try {
    const slices = await portfolio.run(source, (report: SliceReport) => {
      first ??= report.time;
      bar?.increment(1, { time: report.time.slice(0, 10) });
    });
    return { slices, firstBarTime: first };
  } finally {
    bar?.stop();
  }
}

/** The hash of the last event of a portfolio's stream as stored (the genesis hash when it has none). */
export async function storedHeadHash(store: EventStore, portfolioId: string): Promise<string> {
  const stream = portfolioStream(portfolioId);
  const head = await store.streamRevision(stream);
  if (head === 'no_stream') return GENESIS_HASH;
  for await (const event of store.readStream(stream, { fromRevision: head })) return event.metadata.hash;
  return GENESIS_HASH;
}

/** Builds the summary of a portfolio after a run; `headHash` is the stored log's last event hash ({@link storedHeadHash}). */
export function summarise(portfolio: Portfolio, run: { slices: number; firstBarTime: string | null }, headHash: string, statistics: RunStatistics): RunSummaryJson {
  const s = portfolio.status();
  const value = dec(s.portfolioValue);
  const capital = dec(s.totalCapital);
  const k = portfolio.kernel;
  return {
    portfolioId: s.portfolioId,
    store: portfolio.store.url,
    resumed: portfolio.resumed,
    slicesThisRun: run.slices,
    slices: s.slices,
    firstBarTime: run.firstBarTime,
    lastBarTime: s.lastBarTime,
    events: s.revision + 1,
    headHash,
    totalCapital: s.totalCapital,
    portfolioValue: s.portfolioValue,
    reserve: s.reserve,
    portfolioReturn: capital.isZero() ? 0 : value.div(capital).minus(1).toNumber(),
    rebalances: s.rebalances,
    netting: s.netting,
    statistics,
    strategies: s.strategies.map((st) => ({
      id: st.id,
      kind: st.kind,
      state: st.removed ? 'removed' : st.state,
      value: st.value,
      cash: st.cash,
      weight: value.isZero() ? 0 : dec(st.value).div(value).toNumber(),
      timeWeightedReturn: statistics.strategyReturns[st.id]?.totalReturn ?? null,
      timeWeightedReturnNote: statistics.strategyReturns[st.id]?.note ?? null,
      averageCashFraction: averageCash(k.strategies.get(st.id)),
      positions: st.positions,
    })),
    riskBreaches: riskBreaches(portfolio, s.strategies, statistics.strategyReturns),
  };
}

/**
 * The slices line: the span of bars belongs to this run's slices (the first of them is all the summary knows), so it
 * stands beside "this run"; a run that added none names the log's last bar instead of a range starting nowhere.
 */
function slicesLine(s: RunSummaryJson): string {
  const day = (t: string | null): string => t?.slice(0, 10) ?? '-';
  if (s.slicesThisRun === 0 || s.firstBarTime === null) {
    return `slices    ${s.slicesThisRun} this run, ${s.slices} in all (last bar ${day(s.lastBarTime)}), ${s.events} events`;
  }
  return `slices    ${s.slicesThisRun} this run (${day(s.firstBarTime)} … ${day(s.lastBarTime)}), ${s.slices} in all, ${s.events} events`;
}

/** Prints a summary as aligned tables that fit 80 columns. */
export function printSummary(io: CliIO, s: RunSummaryJson): void {
  const lines = [
    `portfolio ${s.portfolioId} in ${s.store}${s.resumed ? ' (resumed)' : ''}`,
    slicesLine(s),
    `value     ${money(s.portfolioValue)} from ${money(s.totalCapital)} (${percent(s.portfolioReturn)}), reserve ${money(s.reserve)}`,
    ...statisticsLines(s.statistics),
    `rebalances ${s.rebalances}`,
    `head hash ${s.headHash}`,
    '          keep it apart: audit --verify --expect-head <hash> detects a cut log',
    `netting   saved ${money(s.netting.commissionSaved)} in commission; traded ${money(s.netting.grossTradedValue)} gross, ${money(s.netting.netTradedValue)} net`,
    ...(s.riskBreaches.length === 0 ? [] : s.riskBreaches.flatMap((b) => wrapText('RISK      ', b))),
    '',
    formatTable(
      ['strategy', 'kind', 'state', 'value', 'weight', 'return', 'avg cash'],
      s.strategies.map((st) => [
        st.id,
        st.kind.length > 16 ? `${st.kind.slice(0, 15)}…` : st.kind,
        st.state,
        money(st.value),
        percent(st.weight),
        pctOrNa(st.timeWeightedReturn),
        st.averageCashFraction === null ? '-' : percent(st.averageCashFraction),
      ]),
    ),
    ...s.strategies.flatMap((st) => (st.timeWeightedReturnNote === null ? [] : wrapText(`          ${st.id} return n/a: `, st.timeWeightedReturnNote))),
    ...incidentLines(s.statistics),
    '',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

const pctOrNa = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : percent(x));
const ratioOrNa = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : fixed(x));

/** The portfolio's own return, volatility, Sharpe and drawdown, and the strategies' capital-weighted Sharpe, labelled apart. */
export function statisticsLines(st: RunStatistics): string[] {
  const p = st.portfolio;
  return [
    `return    ${pctOrNa(p.totalReturn)} total, ${pctOrNa(p.annualReturn)} a year; volatility ${pctOrNa(p.annualVolatility)} a year`,
    `risk      Sharpe ${ratioOrNa(p.sharpeRatio)} (risk-free ${pctOrNa(st.riskFree.annual)} a year), max drawdown ${pctOrNa(p.maxDrawdown)}`,
    `          strategies' Sharpe, capital-weighted: ${ratioOrNa(st.capitalWeightedStrategySharpe)}`,
    `          a year is ${st.riskFree.annualization} bars (barsPerYear)`,
    ...(st.portfolioNote === null ? [] : wrapText('          return and drawdown n/a: ', st.portfolioNote)),
  ];
}

/** Each fault (strategy, bar time, message) and each paused strategy (since when, why), wrapped at 80 columns. */
export function incidentLines(st: RunStatistics): string[] {
  const out: string[] = [];
  if (st.faults.length > 0) {
    out.push('', `faults ${st.faults.length}`);
    for (const f of st.faults) out.push(...wrapText(`  ${f.strategyId} at ${f.barTime ?? 'the start'}: `, f.message));
  }
  if (st.liquidations.length > 0) {
    out.push('', `liquidated ${st.liquidations.length}`);
    for (const l of st.liquidations) out.push(...wrapText(`  ${l.strategyId} at ${l.barTime ?? 'the start'}: `, l.message));
  }
  if (st.paused.length > 0) {
    out.push('', `paused ${st.paused.length}`);
    for (const p of st.paused) out.push(...wrapText(`  ${p.strategyId} since ${p.since ?? 'the start'}: `, p.reason));
  }
  return out;
}

/** A strategy's average cash fraction over the marks that valued it (null before any). */
function averageCash(record: { readonly cashFractionSum: number; readonly cashFractionMarks: number } | undefined): number | null {
  return record === undefined || record.cashFractionMarks === 0 ? null : record.cashFractionSum / record.cashFractionMarks;
}

/**
 * The losses the risk rules did not bound, said plainly. The drawdown limit acts at the first mark beyond it, so a
 * strategy lands one bar's move past it; beyond a quarter of the limit more, the rule did not hold its losses (a paused
 * strategy keeps its positions, a short can rise past its equity).
 */
function riskBreaches(
  portfolio: Portfolio,
  strategies: readonly { readonly id: string; readonly value: string }[],
  returns: RunStatistics['strategyReturns'],
): string[] {
  const out: string[] = [];
  const risk = portfolio.kernel.config.risk;
  const limit = risk.maxDrawdown;
  for (const st of strategies) {
    const record = portfolio.kernel.strategies.get(st.id);
    if (record === undefined) continue;
    // A bar that lost more than the whole value leaves no drawdown figure (the engine's index skips it, and the
    // compounded figures are undefined past it): the loss is said as what it was, the deepest of all.
    const beyondValue = returns[st.id]?.note === LOSS_BEYOND_VALUE;
    if (limit !== null && (beyondValue || record.worstDrawdown < -limit * 1.25)) {
      const action = risk.drawdownAction === 'pause' ? 'drawdownAction pause keeps the positions of a paused strategy' : 'its liquidation came too late';
      const loss = beyondValue ? 'a bar lost more than its whole value (the value went below zero)' : `drawdown reached ${percent(record.worstDrawdown)}`;
      out.push(`${st.id}: ${loss}, beyond the limit of ${percent(limit)} (${action})`);
    }
    if (dec(st.value).isNegative()) out.push(`${st.id}: value ${dec(st.value).toFixed(2)} is below zero: it lost more than its capital`);
  }
  const total = dec(portfolio.status().portfolioValue);
  if (total.isNegative()) out.push(`the portfolio's value ${total.toFixed(2)} is below zero: the risk rules did not bound its losses`);
  return out;
}
