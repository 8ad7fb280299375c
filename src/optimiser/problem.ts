// Validates optimiser input and normalises it into the numeric problem every backend, check and fallback reads.
import { ConfigError } from '../errors.js';
import type { Dec } from '../money/decimal.js';
import type { Candidate, ModelKind, OptimiserSettings, ShareMode } from './types.js';

/** The normalised problem: candidates with a positive score, sorted by symbol, so variable i is always the i-th symbol. */
export interface OptimisationProblem {
  readonly symbols: readonly string[];
  readonly scores: readonly number[];
  readonly prices: readonly Dec[];
  /** Price ÷ capital: the weight of one share (lots mode). */
  readonly shareWeights: readonly number[];
  /** Sector group of each candidate ('' when none was given). */
  readonly sectors: readonly string[];
  /** Current weight of each candidate. */
  readonly current: readonly number[];
  /** Σ current weight of names that are not candidates: they go to zero, which spends this much turnover. */
  readonly fixedTurnover: number;
  readonly capital: Dec;
  readonly maxPositions: number;
  readonly maxWeight: number;
  readonly minWeight: number;
  readonly sectorCap: number | undefined;
  readonly turnover: number | undefined;
  readonly shares: ShareMode;
  readonly timeLimitSeconds: number;
  readonly mipRelGap: number;
  readonly moneyDecimals: number;
  /** Symbols dropped because their score was not positive. */
  readonly dropped: readonly string[];
}

function fraction(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${field} must be a number in [0, 1], got ${String(value)}`, field);
  }
  return value;
}

/**
 * Checks candidates and settings and builds the normalised problem.
 * @throws ConfigError naming the field for an invalid setting, a duplicate symbol, a non-finite score or a non-positive price.
 */
export function buildProblem(candidates: readonly Candidate[], settings: OptimiserSettings): OptimisationProblem {
  if (!settings.capital.isFinite() || settings.capital.lte(0)) {
    throw new ConfigError(`capital must be positive, got ${settings.capital.toString()}`, 'capital');
  }
  if (!Number.isSafeInteger(settings.maxPositions) || settings.maxPositions < 1) {
    throw new ConfigError(`maxPositions must be a positive integer, got ${String(settings.maxPositions)}`, 'maxPositions');
  }
  const maxWeight = fraction(settings.maxWeight, 'maxWeight', 1);
  if (maxWeight === 0) throw new ConfigError('maxWeight must be above 0', 'maxWeight');
  const minWeight = fraction(settings.minWeight, 'minWeight', 0);
  if (minWeight > maxWeight) {
    throw new ConfigError(`minWeight ${minWeight} is above maxWeight ${maxWeight}`, 'minWeight');
  }
  const sectorCap = settings.sectorCap === undefined ? undefined : fraction(settings.sectorCap, 'sectorCap', 1);
  const turnover = settings.turnover;
  if (turnover !== undefined && (!Number.isFinite(turnover) || turnover < 0 || turnover > 2)) {
    // Σ|w − w_current| of two portfolios each summing to at most 1 is at most 2.
    throw new ConfigError(`turnover must be a number in [0, 2], got ${String(turnover)}`, 'turnover');
  }
  if (turnover !== undefined && settings.currentWeights === undefined) {
    throw new ConfigError('turnover needs the current weights', 'turnover');
  }
  const timeLimitSeconds = settings.timeLimitSeconds ?? 10;
  if (!Number.isFinite(timeLimitSeconds) || timeLimitSeconds <= 0) {
    throw new ConfigError(`timeLimitSeconds must be positive, got ${String(timeLimitSeconds)}`, 'timeLimitSeconds');
  }
  const mipRelGap = fraction(settings.mipRelGap, 'mipRelGap', 1e-6);
  const moneyDecimals = settings.moneyDecimals ?? 2;
  if (!Number.isSafeInteger(moneyDecimals) || moneyDecimals < 0 || moneyDecimals > 12) {
    throw new ConfigError(`moneyDecimals must be an integer in [0, 12], got ${String(moneyDecimals)}`, 'moneyDecimals');
  }
  const shares = settings.shares ?? 'floor';

  const seen = new Set<string>();
  const kept: Candidate[] = [];
  const dropped: string[] = [];
  for (const c of candidates) {
    if (c.symbol.length === 0) throw new ConfigError('a candidate has an empty symbol', 'symbol');
    if (seen.has(c.symbol)) throw new ConfigError(`duplicate candidate symbol ${c.symbol}`, 'symbol');
    seen.add(c.symbol);
    if (!Number.isFinite(c.score)) throw new ConfigError(`score of ${c.symbol} is not a finite number`, 'score');
    if (!c.price.isFinite() || c.price.lte(0)) {
      throw new ConfigError(`price of ${c.symbol} must be positive, got ${c.price.toString()}`, 'price');
    }
    if (c.score > 0) kept.push(c);
    else dropped.push(c.symbol);
  }
  kept.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  dropped.sort();

  const currentWeights = settings.currentWeights ?? {};
  let fixedTurnover = 0;
  for (const [symbol, w] of Object.entries(currentWeights)) {
    if (!Number.isFinite(w) || w < 0 || w > 1) {
      throw new ConfigError(`current weight of ${symbol} must be in [0, 1], got ${String(w)}`, 'currentWeights');
    }
    if (!kept.some((c) => c.symbol === symbol)) fixedTurnover += w;
  }
  const capitalNumber = settings.capital.toNumber();
  return {
    symbols: kept.map((c) => c.symbol),
    scores: kept.map((c) => c.score),
    prices: kept.map((c) => c.price),
    shareWeights: kept.map((c) => c.price.toNumber() / capitalNumber),
    sectors: kept.map((c) => c.sector ?? ''),
    current: kept.map((c) => currentWeights[c.symbol] ?? 0),
    fixedTurnover,
    capital: settings.capital,
    maxPositions: settings.maxPositions,
    maxWeight,
    minWeight,
    sectorCap,
    turnover,
    shares,
    timeLimitSeconds,
    mipRelGap,
    moneyDecimals,
    dropped,
  };
}

/** The model a problem needs: extensions (sector caps, turnover, lots) need the extended model. */
export function modelKindOf(problem: OptimisationProblem): ModelKind {
  return problem.sectorCap !== undefined || problem.turnover !== undefined || problem.shares === 'lots'
    ? 'extended'
    : 'base';
}

/** Σ score·w of a point. */
export function objectiveOf(problem: OptimisationProblem, weights: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += (problem.scores[i] ?? 0) * (weights[i] ?? 0);
  return total;
}
