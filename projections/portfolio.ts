// Portfolio summary projection: value with the reserve, cash, return on capital, lifecycle of each strategy, capital-weighted Sharpe.
import { Dec, ZERO, decStr, type DecString } from '../src/money/decimal.js';
import { add, exactOfDec, textOf } from '../src/money/exact.js';
import type { EventData, LifecycleState } from '../events/catalogue.js';
import { summariseReturnStats, type MetricOptions, type MetricSummary } from '../src/metrics/index.js';
import { evolveByCopy, type InPlaceFold, type Projection } from './projection.js';
import { decimalMap } from './eventAmounts.js';
import { capitalLegs } from './capitalMoves.js';
import type { PerformanceState } from './performance.js';

/**
 * State of the portfolio projection: the numbers of the last BarMarked with the capital transferred since applied
 * (before the first mark: the capital the opening moved), plus lifecycle.
 */
export interface PortfolioState {
  readonly portfolioId: string | null;
  readonly name: string;
  readonly baseCurrency: string;
  readonly totalCapital: Dec;
  readonly portfolioValue: Dec;
  readonly reserve: Dec;
  readonly strategyCash: ReadonlyMap<string, Dec>;
  readonly strategyValues: ReadonlyMap<string, Dec>;
  readonly lifecycle: ReadonlyMap<string, LifecycleState>;
  readonly removed: readonly string[];
  readonly marks: number;
  /** Bar time of the first slice marked (with `marks` and `lastBarTime`: how often the log's bars come). */
  readonly firstMarkTime: string | null;
  readonly lastBarTime: string | null;
  readonly events: number;
}

/** The working copy of the portfolio fold (the runner owns it; its maps and list are copied once per run). */
export type PortfolioWork = { -readonly [K in keyof PortfolioState]: PortfolioState[K] } & {
  readonly lifecycle: Map<string, LifecycleState>;
  readonly removed: string[];
  /** The last BarMarked not yet parsed into the Decimal fields: only the last one before a state is needed ever is. */
  lastMark: EventData<'BarMarked'> | null;
};

const portfolioFold: InPlaceFold<PortfolioState, PortfolioWork> = {
  begin: (s) => ({ ...s, lifecycle: new Map(s.lifecycle), removed: [...s.removed], lastMark: null }),
  step(w, event) {
    w.events += 1;
    if (event.metadata.barTime !== null) w.lastBarTime = event.metadata.barTime;
    switch (event.type) {
      case 'PortfolioOpened': {
        const total = new Dec(event.data.totalCapital);
        w.portfolioId = event.data.portfolioId;
        w.name = event.data.name;
        w.baseCurrency = event.data.baseCurrency;
        w.totalCapital = total;
        w.portfolioValue = total;
        w.reserve = total;
        w.lastMark = null;
        return;
      }
      case 'StrategyAdded':
        w.lifecycle.set(event.data.strategyId, 'initializing');
        return;
      case 'StrategyLifecycleChanged':
        w.lifecycle.set(event.data.strategyId, event.data.to);
        return;
      case 'StrategyRemoved':
        w.lifecycle.set(event.data.strategyId, 'stopped');
        w.removed.push(event.data.strategyId);
        return;
      case 'CapitalTransferred': {
        // A transfer moves cash between the reserve and a strategy and leaves the portfolio's value alone; folded here
        // as the capital accounts fold it, so the reserve plus the strategies is the portfolio value between marks too
        // (the opening's allocations come before any mark).
        settleMark(w);
        const cash = new Map(w.strategyCash);
        const values = new Map(w.strategyValues);
        for (const leg of capitalLegs(event.data)) {
          if (leg.isReserve) {
            w.reserve = w.reserve.plus(leg.delta);
            continue;
          }
          cash.set(leg.account, (cash.get(leg.account) ?? ZERO).plus(leg.delta));
          values.set(leg.account, (values.get(leg.account) ?? ZERO).plus(leg.delta));
        }
        w.strategyCash = cash;
        w.strategyValues = values;
        return;
      }
      case 'BarMarked':
        // Parsed when the fold ends: a later mark replaces every figure this one would have set.
        w.lastMark = event.data;
        if (w.marks === 0) w.firstMarkTime = event.metadata.barTime;
        w.marks += 1;
        return;
      default:
        return;
    }
  },
  end(w) {
    settleMark(w);
    return {
      portfolioId: w.portfolioId,
      name: w.name,
      baseCurrency: w.baseCurrency,
      totalCapital: w.totalCapital,
      portfolioValue: w.portfolioValue,
      reserve: w.reserve,
      strategyCash: w.strategyCash,
      strategyValues: w.strategyValues,
      lifecycle: w.lifecycle,
      removed: w.removed,
      marks: w.marks,
      firstMarkTime: w.firstMarkTime,
      lastBarTime: w.lastBarTime,
      events: w.events,
    };
  },
};

/** Parses the last BarMarked not yet parsed into the working copy's figures. */
function settleMark(w: PortfolioWork): void {
  const mark = w.lastMark;
  if (mark === null) return;
  w.portfolioValue = new Dec(mark.portfolioValue);
  w.reserve = new Dec(mark.reserve);
  // Shared with the other projections of the pass: these maps are never mutated (a transfer replaces them).
  w.strategyCash = decimalMap(mark.strategyCash);
  w.strategyValues = decimalMap(mark.strategyValues);
  w.lastMark = null;
}

/** Portfolio projection (folded in place by the runner). */
export const portfolioProjection: Projection<PortfolioState, PortfolioWork> = {
  name: 'portfolio',
  // 2: transfers since the last mark are folded (a version-1 checkpoint taken between the opening and the first mark holds the opening's reserve).
  // 3: the first mark's bar time.
  version: 3,
  init: () => ({
    portfolioId: null,
    name: '',
    baseCurrency: '',
    totalCapital: ZERO,
    portfolioValue: ZERO,
    reserve: ZERO,
    strategyCash: new Map(),
    strategyValues: new Map(),
    lifecycle: new Map(),
    removed: [],
    marks: 0,
    firstMarkTime: null,
    lastBarTime: null,
    events: 0,
  }),
  evolve: evolveByCopy(portfolioFold),
  inPlace: portfolioFold,
};

/** The portfolio summary users see (money as decimal strings, statistics as numbers). */
export interface PortfolioSummary {
  readonly portfolioId: string | null;
  readonly name: string;
  readonly baseCurrency: string;
  readonly asOf: string | null;
  readonly events: number;
  readonly marks: number;
  readonly totalCapital: DecString;
  /** Σ strategy values + reserve at the last mark. */
  readonly portfolioValue: DecString;
  readonly reserve: DecString;
  /** Σ strategy cash + reserve. */
  readonly cash: DecString;
  /** portfolioValue / totalCapital − 1 (a fraction). */
  readonly returnOnCapital: number;
  readonly activeStrategies: readonly string[];
  readonly strategies: Readonly<Record<string, LifecycleState>>;
  /** Σ wᵢ × Sharpeᵢ / Σ wᵢ with wᵢ = strategy value / Σ strategy values at the last mark, over the strategies whose Sharpe is defined (their weights renormalised to 1). */
  readonly capitalWeightedSharpe: number;
  /** Metrics of the portfolio's own value series (reserve included). */
  readonly metrics: MetricSummary;
}

/** Builds the summary from the portfolio and performance states of one fold. */
export function portfolioSummary(p: PortfolioState, perf: PerformanceState, options: MetricOptions = {}): PortfolioSummary {
  // Exact, like the portfolio value beside it: a Decimal sum rounds past 34 digits.
  let cash = exactOfDec(p.reserve);
  for (const c of p.strategyCash.values()) cash = add(cash, exactOfDec(c));
  let weighted = 0;
  let weightTotal = 0;
  const invested = [...p.strategyValues.values()].reduce((a, b) => a.plus(b), ZERO);
  for (const [id, v] of [...p.strategyValues.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const stats = perf.strategies.get(id);
    if (!stats || invested.lessThanOrEqualTo(0)) continue;
    const sharpe = summariseReturnStats(stats, options).sharpeRatio;
    if (!Number.isFinite(sharpe)) continue;
    const w = v.div(invested).toNumber();
    weighted += w * sharpe;
    weightTotal += w;
  }
  const lifecycle = Object.fromEntries([...p.lifecycle.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    portfolioId: p.portfolioId,
    name: p.name,
    baseCurrency: p.baseCurrency,
    asOf: p.lastBarTime,
    events: p.events,
    marks: p.marks,
    totalCapital: decStr(p.totalCapital),
    portfolioValue: decStr(p.portfolioValue),
    reserve: decStr(p.reserve),
    cash: textOf(cash),
    returnOnCapital: p.totalCapital.greaterThan(0) ? p.portfolioValue.div(p.totalCapital).minus(1).toNumber() : Number.NaN,
    activeStrategies: Object.entries(lifecycle).filter(([, l]) => l === 'running').map(([id]) => id),
    strategies: lifecycle,
    capitalWeightedSharpe: weightTotal > 0 ? weighted / weightTotal : Number.NaN,
    metrics: summariseReturnStats(perf.portfolio, options),
  };
}
