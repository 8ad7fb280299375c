// BetaSizer: the risk-based size divided by the symbol's clamped beta against a benchmark, and the beta estimate itself.
import { ConfigError } from '../errors.js';
import { Dec, decFromStatistic } from '../money/decimal.js';
import type { PositionSizer, SizingRequest } from './positionSizer.js';
import type { RiskBasedSizer } from './riskBasedSizer.js';

/** Parameters of {@link BetaSizer}. */
export interface BetaSizerOptions {
  /** Beta per symbol (e.g. from {@link estimateBeta}); a missing or non-finite beta uses defaultBeta. */
  readonly betas: Readonly<Record<string, number>>;
  /** Clamp range of beta (defaults 0.5 and 2): a near-zero or negative beta must not inflate the size without bound. */
  readonly minBeta?: number;
  readonly maxBeta?: number;
  /** Beta assumed when unknown (default 1: the risk-based size unchanged). */
  readonly defaultBeta?: number;
}

/**
 * Beta of an asset against a benchmark from their returns, aligned on their most recent common length
 * (both oldest first, the same periods at the same tail positions): sample cov(a, b) / var(b).
 * NaN with fewer than two aligned returns or a constant benchmark.
 */
export function estimateBeta(assetReturns: ArrayLike<number>, benchmarkReturns: ArrayLike<number>): number {
  const m = Math.min(assetReturns.length, benchmarkReturns.length);
  if (m < 2) return Number.NaN;
  const a0 = assetReturns.length - m;
  const b0 = benchmarkReturns.length - m;
  let ma = 0;
  let mb = 0;
  for (let t = 0; t < m; t++) {
    ma += assetReturns[a0 + t] as number;
    mb += benchmarkReturns[b0 + t] as number;
  }
  ma /= m;
  mb /= m;
  let cov = 0;
  let varB = 0;
  for (let t = 0; t < m; t++) {
    const db = (benchmarkReturns[b0 + t] as number) - mb;
    cov += ((assetReturns[a0 + t] as number) - ma) * db;
    varB += db * db;
  }
  return varB > 0 ? cov / varB : Number.NaN;
}

/** Simple returns of a close series (oldest first): `c_t / c_{t−1} − 1`. */
export function closeToCloseReturns(closes: readonly number[]): Float64Array {
  const out = new Float64Array(Math.max(0, closes.length - 1));
  for (let t = 1; t < closes.length; t++) out[t - 1] = (closes[t] as number) / (closes[t - 1] as number) - 1;
  return out;
}

/** `quantity = riskBasedSize ÷ clamp(beta, minBeta, maxBeta)`, then the base sizer's weight cap and rounding (rounded once). */
export class BetaSizer implements PositionSizer {
  readonly name = 'beta';
  readonly minBeta: number;
  readonly maxBeta: number;
  readonly defaultBeta: number;
  private readonly betas: Readonly<Record<string, number>>;

  /** @throws ConfigError when minBeta ≤ 0, maxBeta < minBeta or defaultBeta is not positive. */
  constructor(readonly base: RiskBasedSizer, options: BetaSizerOptions) {
    this.minBeta = options.minBeta ?? 0.5;
    this.maxBeta = options.maxBeta ?? 2;
    this.defaultBeta = options.defaultBeta ?? 1;
    if (!(this.minBeta > 0) || !Number.isFinite(this.minBeta)) throw new ConfigError(`sizing.minBeta must be > 0, got ${String(this.minBeta)}`, 'sizing.minBeta');
    if (!(this.maxBeta >= this.minBeta) || !Number.isFinite(this.maxBeta)) {
      throw new ConfigError(`sizing.maxBeta must be ≥ minBeta (${String(this.minBeta)}), got ${String(this.maxBeta)}`, 'sizing.maxBeta');
    }
    if (!(this.defaultBeta > 0) || !Number.isFinite(this.defaultBeta)) {
      throw new ConfigError(`sizing.defaultBeta must be > 0, got ${String(this.defaultBeta)}`, 'sizing.defaultBeta');
    }
    this.betas = { ...options.betas };
  }

  /** The clamped beta used for `symbol`. */
  betaOf(symbol: string): number {
    const b = this.betas[symbol];
    const raw = b !== undefined && Number.isFinite(b) ? b : this.defaultBeta;
    return Math.min(Math.max(raw, this.minBeta), this.maxBeta);
  }

  /**
   * Beta-adjusted risk-based quantity.
   * @throws DataError for a non-positive price or a zero stop distance, or when no stop is known.
   */
  size(request: SizingRequest): Dec {
    const raw = this.base.rawSize(request);
    return this.base.finish(request, raw.div(decFromStatistic(this.betaOf(request.symbol), `beta of ${request.symbol}`)));
  }
}
