// Constant-memory running statistics of a return series: the same metrics as returnMetrics.ts, updated one return at a time.
import { resolveMetricOptions, type MetricOptions, type ResolvedMetricOptions } from './options.js';
import { profitFactorOf, winRateOf } from './outcomeRatios.js';
import { LOSS_BEYOND_VALUE, compound, drawdownFrom } from './returnMetrics.js';

/**
 * Running sums over a return series (plain JSON-safe numbers, immutable). Mean and spread use Welford's update,
 * so results agree with the two-pass functions to rounding (≈1e-15 relative), not bit for bit.
 */
export interface ReturnStats {
  readonly count: number;
  readonly mean: number;
  /** Σ (r − mean)² (Welford's M2). */
  readonly m2: number;
  /** Σ min(r − requiredReturn, 0)². */
  readonly downsideSq: number;
  /** Σ positive and Σ |negative| of r − riskFree − requiredReturn (omega). */
  readonly omegaGains: number;
  readonly omegaLosses: number;
  /** Σ positive and Σ |negative| per-period P&L in money (profit factor). */
  readonly grossProfit: number;
  readonly grossLoss: number;
  /** Periods with a positive and with a negative return (win rate). */
  readonly wins: number;
  readonly lossCount: number;
  /** Equity on a curve starting at 1 ({@link compound}: NaN past a return below −100%), its running peak and the deepest drawdown so far (≤ 0). */
  readonly equity: number;
  readonly peak: number;
  readonly maxDrawdown: number;
}

/** Every metric of a series, as returnMetrics.ts would compute it on the whole series. */
export interface MetricSummary {
  readonly observations: number;
  readonly totalReturn: number;
  readonly annualReturn: number;
  readonly annualVolatility: number;
  readonly sharpeRatio: number;
  readonly sortinoRatio: number;
  readonly downsideRisk: number;
  readonly maxDrawdown: number;
  readonly currentDrawdown: number;
  readonly calmarRatio: number;
  readonly omegaRatio: number;
  readonly winRate: number;
  readonly profitFactor: number;
}

/** Statistics of an empty series. */
export function emptyReturnStats(): ReturnStats {
  return {
    count: 0,
    mean: 0,
    m2: 0,
    downsideSq: 0,
    omegaGains: 0,
    omegaLosses: 0,
    grossProfit: 0,
    grossLoss: 0,
    wins: 0,
    lossCount: 0,
    equity: 1,
    peak: 1,
    maxDrawdown: 0,
  };
}

/**
 * Adds one period: its return and its profit or loss in money (the value change net of capital transfers). A NaN
 * return is skipped, as the batch functions skip it; `options` must be the same on every call.
 */
export function addReturn(stats: ReturnStats, r: number, options: ResolvedMetricOptions, pnl: number): ReturnStats {
  if (Number.isNaN(r)) return stats;
  const count = stats.count + 1;
  const delta = r - stats.mean;
  const mean = stats.mean + delta / count;
  const down = Math.min(r - options.requiredReturn, 0);
  const excess = r - options.riskFree - options.requiredReturn;
  const equity = compound(stats.equity, r);
  // Past a return below −100% the equity is NaN for good: the peak stays, so the drawdowns read NaN too.
  const peak = Number.isNaN(equity) ? stats.peak : Math.max(stats.peak, equity);
  return {
    count,
    mean,
    m2: stats.m2 + delta * (r - mean),
    downsideSq: stats.downsideSq + down * down,
    omegaGains: stats.omegaGains + (excess > 0 ? excess : 0),
    omegaLosses: stats.omegaLosses + (excess < 0 ? -excess : 0),
    grossProfit: stats.grossProfit + (pnl > 0 ? pnl : 0),
    grossLoss: stats.grossLoss + (pnl < 0 ? -pnl : 0),
    wins: stats.wins + (r > 0 ? 1 : 0),
    lossCount: stats.lossCount + (r < 0 ? 1 : 0),
    equity,
    peak,
    maxDrawdown: Math.min(stats.maxDrawdown, drawdownFrom(equity, peak)),
  };
}

/**
 * Every metric from running statistics, with the conventions of returnMetrics.ts (NaN where those are NaN), except that
 * the annual return's n is the count of returns added: a NaN skipped by {@link addReturn} is not a period here (a stopped
 * strategy is annualised over its own bars), where the batch `annualReturn` counts it as empyrical does.
 */
export function summariseReturnStats(stats: ReturnStats, options?: MetricOptions): MetricSummary {
  const o = resolveMetricOptions(options);
  const n = stats.count;
  const std = n >= 2 ? Math.sqrt(stats.m2 / (n - 1)) : Number.NaN;
  const totalReturn = n > 0 ? stats.equity - 1 : Number.NaN;
  const annualReturn = n > 0 ? stats.equity ** (o.annualization / n) - 1 : Number.NaN;
  const downsideRisk = n > 0 ? Math.sqrt(stats.downsideSq / n) * Math.sqrt(o.annualization) : Number.NaN;
  const maxDrawdown = n > 0 ? stats.maxDrawdown : Number.NaN;
  const calmar = n >= 2 && maxDrawdown < 0 ? annualReturn / Math.abs(maxDrawdown) : Number.NaN;
  return {
    observations: n,
    totalReturn,
    annualReturn,
    annualVolatility: std * Math.sqrt(o.annualization),
    sharpeRatio: n >= 2 ? ((stats.mean - o.riskFree) / std) * Math.sqrt(o.annualization) : Number.NaN,
    sortinoRatio: n >= 2 ? ((stats.mean - o.requiredReturn) * o.annualization) / downsideRisk : Number.NaN,
    downsideRisk,
    maxDrawdown,
    currentDrawdown: n > 0 ? drawdownFrom(stats.equity, stats.peak) : Number.NaN,
    calmarRatio: Number.isFinite(calmar) ? calmar : Number.NaN,
    omegaRatio: n >= 2 && stats.omegaLosses > 0 ? stats.omegaGains / stats.omegaLosses : Number.NaN,
    winRate: winRateOf(stats.wins, stats.lossCount),
    profitFactor: profitFactorOf(stats.grossProfit, stats.grossLoss),
  };
}

/** Why a series' compounded figures (total and annual return, drawdowns, Calmar) are undefined, or null when they are not. */
export function compoundingNote(stats: ReturnStats): string | null {
  return stats.count > 0 && Number.isNaN(stats.equity) ? LOSS_BEYOND_VALUE : null;
}

/** Running co-moments of two aligned series (Welford), for a correlation in constant memory. */
export interface PairStats {
  readonly count: number;
  readonly meanX: number;
  readonly meanY: number;
  readonly cxx: number;
  readonly cyy: number;
  readonly cxy: number;
}

/** Co-moments of no observations. */
export function emptyPairStats(): PairStats {
  return { count: 0, meanX: 0, meanY: 0, cxx: 0, cyy: 0, cxy: 0 };
}

/** Adds one aligned observation (x, y); skipped when either is NaN. */
export function addPair(s: PairStats, x: number, y: number): PairStats {
  if (Number.isNaN(x) || Number.isNaN(y)) return s;
  const count = s.count + 1;
  const dx = x - s.meanX;
  const dy = y - s.meanY;
  const meanX = s.meanX + dx / count;
  const meanY = s.meanY + dy / count;
  return {
    count,
    meanX,
    meanY,
    cxx: s.cxx + dx * (x - meanX),
    cyy: s.cyy + dy * (y - meanY),
    cxy: s.cxy + dx * (y - meanY),
  };
}

/** Pearson correlation of the pairs seen; NaN with fewer than two or when either side is constant. */
export function pairCorrelation(s: PairStats): number {
  if (s.count < 2 || s.cxx === 0 || s.cyy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, s.cxy / Math.sqrt(s.cxx * s.cyy)));
}
