// Built-in mean reversion: trade a symbol's z-score against its rolling mean, per symbol.
import { ONE, ZERO, type Dec } from '../../money/decimal.js';
import type { StrategyParams } from '../strategy.js';
import { mean, sampleStd } from './closeStatistics.js';
import { ParameterReader } from './parameters.js';
import { DEFAULT_RESIZE_TOLERANCE, needsResize, requireHistory, tradedUniverse, type BuiltinStrategy } from './universe.js';

/** Validated parameters of mean reversion. */
export interface MeanReversionParams {
  /** Closes in the rolling window, the current one included. */
  readonly lookback: number;
  /** Enter when |z| exceeds this. */
  readonly entryZ: number;
  /** Exit when z has come back within this of the mean (or crossed it). */
  readonly exitZ: number;
  /** Fraction of value per position; absent: 1/N of the candidate symbols. */
  readonly positionSize: Dec | undefined;
  readonly allowShort: boolean;
  readonly symbols: readonly string[] | undefined;
  /** A held position is re-sized when more than this fraction away from its target value (default 0.1). */
  readonly resizeTolerance: number;
}

/**
 * Reads mean-reversion parameters: `lookback` (default 20, ≥ 2), `entryZ` (default 2, > 0), `exitZ`
 * (default 0.5, ≥ 0 and < entryZ), `positionSize` (optional fraction), `allowShort` (default false), `symbols` (optional),
 * `resizeTolerance` (default 0.1).
 * @throws ConfigError naming the invalid or unknown parameter.
 */
export function meanReversionParams(params: StrategyParams): MeanReversionParams {
  const read = new ParameterReader('mean-reversion', params);
  read.onlyKnown(['lookback', 'entryZ', 'exitZ', 'positionSize', 'allowShort', 'symbols', 'resizeTolerance']);
  const entryZ = read.number('entryZ', 2, 0, true);
  const exitZ = read.number('exitZ', 0.5, 0);
  if (exitZ >= entryZ) throw read.invalid('exitZ', `below entryZ (${entryZ})`, exitZ);
  return {
    lookback: read.integer('lookback', 20, 2),
    entryZ,
    exitZ,
    positionSize: read.fraction('positionSize'),
    allowShort: read.boolean('allowShort', false),
    symbols: read.symbols('symbols'),
    resizeTolerance: read.number('resizeTolerance', DEFAULT_RESIZE_TOLERANCE, 0),
  };
}

/**
 * Mean reversion: per traded candidate with `lookback` closes, z = (close − mean) / sample std over the window
 * (0 when the std is 0). Flat: long `positionSize` when z < −entryZ, short when z > entryZ and `allowShort`.
 * Long: exits when z > −exitZ (flipping short when z > entryZ and shorts are allowed); short: mirror image.
 * Otherwise it holds, re-sizing the position to `positionSize` of its current value when capital moved since its
 * last call or the position is more than `resizeTolerance` away from that target. The side is read from the ledger
 * plus waiting orders, so the strategy keeps no state.
 * @throws ConfigError naming the invalid parameter.
 */
export function createMeanReversionStrategy(params: StrategyParams = {}): BuiltinStrategy {
  const p = meanReversionParams(params);
  return {
    name: 'mean-reversion',
    historyLength: p.lookback,
    onBar(ctx, slice) {
      requireHistory('mean-reversion', ctx, p.lookback);
      const universe = tradedUniverse(slice, p.symbols);
      if (universe.length === 0) return;
      const size = p.positionSize ?? ONE.div(p.symbols?.length ?? universe.length);
      for (const symbol of universe) {
        const closes = ctx.history.closes(symbol, p.lookback);
        if (closes.length < p.lookback) continue;
        const std = sampleStd(closes);
        const last = closes[closes.length - 1] ?? Number.NaN;
        const z = std > 0 ? (last - mean(closes)) / std : 0;
        const held = ctx.expectedQuantity(symbol);
        let target: Dec | undefined;
        if (held.gt(ZERO)) {
          if (z > -p.exitZ) target = p.allowShort && z > p.entryZ ? size.neg() : ZERO;
        } else if (held.lt(ZERO)) {
          if (z < p.exitZ) target = z < -p.entryZ ? size : ZERO;
        } else if (z < -p.entryZ) {
          target = size;
        } else if (p.allowShort && z > p.entryZ) {
          target = size.neg();
        }
        if (target === undefined && !held.isZero()) {
          const kept = held.isPositive() ? size : size.neg();
          if (needsResize(ctx, symbol, kept, p.resizeTolerance)) target = kept;
        }
        if (target !== undefined) ctx.orderTargetPercent(symbol, target);
      }
    },
  };
}
