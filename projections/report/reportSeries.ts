// Report series projection: per-bar series (values, returns, exposure, a benchmark's marks) and per-strategy totals the tearsheet draws — bounded by bars, not events.
import { Dec, ZERO } from '../../src/money/decimal.js';
import { RESERVE, type EventData } from '../../events/catalogue.js';
import { emptyAccounts, evolveAccounts, type CapitalAccounts } from '../capitalAccounts.js';
import { evolveByCopy, type InPlaceFold, type Projection } from '../projection.js';

/** One strategy's per-bar series, aligned with {@link ReportSeriesState.times}; NaN where the strategy was not valued. */
export interface StrategySeries {
  /** Value at each mark. */
  readonly values: readonly number[];
  /** Return of each mark net of transfers (the same return the performance projection folds; NaN when none). */
  readonly returns: readonly number[];
  /** Value held in positions (value − cash) at each mark. */
  readonly exposure: readonly number[];
}

/** Per-strategy totals over the whole log. */
export interface StrategyTotals {
  readonly commissions: Dec;
  /** Σ |quantity × price| over every fill. */
  readonly tradedValue: Dec;
  readonly fills: number;
  /** The most recent StrategyFaulted, if any. */
  readonly lastFault: { readonly barTime: string | null; readonly phase: string; readonly error: string; readonly action: string } | null;
  /** P&L of the latest mark: value − (previous value + transfers since; before the first mark, the capital funded); null before any mark. */
  readonly lastSlicePnl: Dec | null;
  /** Value at the last mark plus transfers since: the base of the next mark's P&L. */
  readonly pnlBase: Dec;
}

/** A rebalance as the timeline needs it: where it sits among the bars. */
export interface RebalanceMark {
  readonly rebalanceId: string;
  readonly barTime: string | null;
  /** Index of the first mark at or after the decision (the mark of its slice). */
  readonly barIndex: number;
  readonly trigger: string;
}

/** State of the report series projection. */
export interface ReportSeriesState {
  readonly accounts: CapitalAccounts;
  readonly opened: EventData<'PortfolioOpened'> | null;
  /** Head of the folded log: its last event's hash, revision (−1 before any) and global position. */
  readonly headHash: string | null;
  readonly headRevision: number;
  readonly headPosition: number;
  /** Bar time of each BarMarked, in log order. */
  readonly times: readonly string[];
  readonly portfolioValues: readonly number[];
  /** Portfolio return of each mark (value / previous value − 1, reserve included; NaN for the first when it has no base). */
  readonly portfolioReturns: readonly number[];
  readonly reserve: readonly number[];
  /** Strategy series by id. */
  readonly strategies: ReadonlyMap<string, StrategySeries>;
  readonly totals: ReadonlyMap<string, StrategyTotals>;
  /** Parameters each strategy was added with, by id. */
  readonly parameters: ReadonlyMap<string, { readonly kind: string; readonly parameters: Readonly<Record<string, unknown>> }>;
  readonly rebalances: readonly RebalanceMark[];
  /** Commission saved by netting, Σ OrdersNetted.commissionSaved. */
  readonly nettingSaved: Dec;
  /**
   * Traded value the strategies' orders crossed with each other and the portfolio never traded outside,
   * Σ (OrdersNetted.grossTradedValue − netTradedValue): the portfolio's own trades are its fills' value less this.
   */
  readonly crossedValue: Dec;
  /** The benchmark symbol followed, and its last recorded mark at each bar (NaN before its first). */
  readonly benchmark: { readonly symbol: string; readonly marks: readonly number[] } | null;
}

interface StrategySeriesWork {
  values: number[];
  returns: number[];
  exposure: number[];
}

type TotalsWork = { -readonly [K in keyof StrategyTotals]: StrategyTotals[K] };

/** The working copy the runner owns during a fold. */
export interface ReportSeriesWork {
  accounts: CapitalAccounts;
  opened: EventData<'PortfolioOpened'> | null;
  headHash: string | null;
  headRevision: number;
  headPosition: number;
  times: string[];
  portfolioValues: number[];
  portfolioReturns: number[];
  reserve: number[];
  strategies: Map<string, StrategySeriesWork>;
  totals: Map<string, TotalsWork>;
  parameters: Map<string, { readonly kind: string; readonly parameters: Readonly<Record<string, unknown>> }>;
  rebalances: RebalanceMark[];
  nettingSaved: Dec;
  crossedValue: Dec;
  benchmark: { readonly symbol: string; marks: number[] } | null;
  lastBenchmarkMark: number;
}

const noTotals = (): TotalsWork => ({ commissions: ZERO, tradedValue: ZERO, fills: 0, lastFault: null, lastSlicePnl: null, pnlBase: ZERO });

function totalsOf(w: ReportSeriesWork, id: string): TotalsWork {
  let t = w.totals.get(id);
  if (t === undefined) {
    t = noTotals();
    w.totals.set(id, t);
  }
  return t;
}

function seriesOf(w: ReportSeriesWork, id: string): StrategySeriesWork {
  let s = w.strategies.get(id);
  if (s === undefined) {
    const before = w.times.length - 1;
    // A strategy first valued after the first bar has NaN for the bars before it.
    s = { values: new Array<number>(before).fill(Number.NaN), returns: new Array<number>(before).fill(Number.NaN), exposure: new Array<number>(before).fill(Number.NaN) };
    w.strategies.set(id, s);
  }
  return s;
}

function fold(benchmark: string | null): InPlaceFold<ReportSeriesState, ReportSeriesWork> {
  return {
    begin: (s) => ({
      accounts: s.accounts,
      opened: s.opened,
      headHash: s.headHash,
      headRevision: s.headRevision,
      headPosition: s.headPosition,
      times: [...s.times],
      portfolioValues: [...s.portfolioValues],
      portfolioReturns: [...s.portfolioReturns],
      reserve: [...s.reserve],
      strategies: new Map([...s.strategies].map(([id, v]) => [id, { values: [...v.values], returns: [...v.returns], exposure: [...v.exposure] }])),
      totals: new Map([...s.totals].map(([id, t]) => [id, { ...t }])),
      parameters: new Map(s.parameters),
      rebalances: [...s.rebalances],
      nettingSaved: s.nettingSaved,
      crossedValue: s.crossedValue,
      benchmark: s.benchmark === null ? null : { symbol: s.benchmark.symbol, marks: [...s.benchmark.marks] },
      lastBenchmarkMark: lastFinite(s.benchmark?.marks ?? []),
    }),
    step(w, event) {
      w.headHash = event.metadata.hash;
      w.headRevision = event.metadata.revision;
      w.headPosition = event.position;
      const { accounts, returns, portfolioReturn } = evolveAccounts(w.accounts, event);
      w.accounts = accounts;
      switch (event.type) {
        case 'PortfolioOpened':
          w.opened = event.data;
          if (benchmark !== null && w.benchmark === null) w.benchmark = { symbol: benchmark, marks: [] };
          return;
        case 'StrategyAdded':
          w.parameters.set(event.data.strategyId, { kind: event.data.kind, parameters: event.data.parameters });
          return;
        case 'FillRecorded': {
          const t = totalsOf(w, event.data.strategyId);
          t.commissions = t.commissions.plus(event.data.commission);
          t.tradedValue = t.tradedValue.plus(new Dec(event.data.quantity).times(event.data.price).abs());
          t.fills += 1;
          return;
        }
        case 'OrdersNetted':
          w.nettingSaved = w.nettingSaved.plus(event.data.commissionSaved);
          w.crossedValue = w.crossedValue.plus(event.data.grossTradedValue).minus(event.data.netTradedValue);
          return;
        case 'StrategyFaulted':
          totalsOf(w, event.data.strategyId).lastFault = {
            barTime: event.metadata.barTime,
            phase: event.data.phase,
            error: event.data.error,
            action: event.data.action,
          };
          return;
        case 'RebalanceDecided':
          w.rebalances.push({ rebalanceId: event.data.rebalanceId, barTime: event.metadata.barTime, barIndex: w.times.length, trigger: event.data.trigger });
          return;
        case 'CapitalTransferred':
          if (event.data.from !== RESERVE) {
            const t = totalsOf(w, event.data.from);
            t.pnlBase = t.pnlBase.minus(event.data.amount);
          }
          if (event.data.to !== RESERVE) {
            const t = totalsOf(w, event.data.to);
            t.pnlBase = t.pnlBase.plus(event.data.amount);
          }
          return;
        case 'BarMarked': {
          const data = event.data;
          w.times.push(event.metadata.barTime ?? '');
          w.portfolioValues.push(Number(data.portfolioValue));
          w.portfolioReturns.push(portfolioReturn ?? Number.NaN);
          w.reserve.push(Number(data.reserve));
          const n = w.times.length;
          for (const id of Object.keys(data.strategyValues).sort()) {
            const text = data.strategyValues[id] as string;
            const s = seriesOf(w, id);
            const value = Number(text);
            s.values.push(value);
            s.returns.push(returns?.get(id) ?? Number.NaN);
            s.exposure.push(value - Number(data.strategyCash[id] ?? '0'));
            const t = totalsOf(w, id);
            const exact = new Dec(text);
            t.lastSlicePnl = exact.minus(t.pnlBase);
            t.pnlBase = exact;
          }
          for (const s of w.strategies.values()) {
            if (s.values.length < n) {
              s.values.push(Number.NaN);
              s.returns.push(Number.NaN);
              s.exposure.push(Number.NaN);
            }
          }
          if (w.benchmark !== null) {
            const mark = data.marks[w.benchmark.symbol];
            if (mark !== undefined) w.lastBenchmarkMark = Number(mark);
            w.benchmark.marks.push(w.lastBenchmarkMark);
          }
          return;
        }
        default:
          return;
      }
    },
    end: (w) => ({
      accounts: w.accounts,
      opened: w.opened,
      headHash: w.headHash,
      headRevision: w.headRevision,
      headPosition: w.headPosition,
      times: w.times,
      portfolioValues: w.portfolioValues,
      portfolioReturns: w.portfolioReturns,
      reserve: w.reserve,
      strategies: w.strategies,
      totals: new Map([...w.totals].map(([id, t]) => [id, { ...t }])),
      parameters: w.parameters,
      rebalances: w.rebalances,
      nettingSaved: w.nettingSaved,
      crossedValue: w.crossedValue,
      benchmark: w.benchmark,
    }),
  };
}

function lastFinite(xs: readonly number[]): number {
  for (let i = xs.length - 1; i >= 0; i -= 1) if (!Number.isNaN(xs[i] as number)) return xs[i] as number;
  return Number.NaN;
}

/**
 * The report series projection. `benchmark` names a symbol of the recorded marks whose buy-and-hold curve is followed
 * (its last mark at every bar). Folded in place by the runner: a working copy grows the series, so a replay of
 * millions of events costs one copy per run, not one per event.
 */
export function reportSeriesProjection(options: { readonly benchmark?: string } = {}): Projection<ReportSeriesState, ReportSeriesWork> {
  const benchmark = options.benchmark ?? null;
  const inPlace = fold(benchmark);
  return {
    name: 'report-series',
    // 2: strategy returns split transfers before and after the slice's execution (the accounts carry both).
    // 3: the value netting crossed (crossedValue), which the portfolio's turnover leaves out.
    version: 3,
    fingerprint: `benchmark=${benchmark ?? ''}`,
    init: () => ({
      accounts: emptyAccounts(),
      opened: null,
      headHash: null,
      headRevision: -1,
      headPosition: 0,
      times: [],
      portfolioValues: [],
      portfolioReturns: [],
      reserve: [],
      strategies: new Map(),
      totals: new Map(),
      parameters: new Map(),
      rebalances: [],
      nettingSaved: ZERO,
      crossedValue: ZERO,
      benchmark: benchmark === null ? null : { symbol: benchmark, marks: [] },
    }),
    evolve: evolveByCopy(inPlace),
    inPlace,
  };
}
