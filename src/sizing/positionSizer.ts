// The position-sizer port and its shared rounding: how many units an entry should be, in Decimal.
import { ConfigError, DataError } from '../errors.js';
import { Dec, dec, ZERO } from '../money/decimal.js';

/** What a sizer is asked: the symbol, its entry price and the equity of the strategy that trades it. */
export interface SizingRequest {
  readonly symbol: string;
  /** Entry price per unit (> 0). */
  readonly price: Dec;
  /** The strategy's equity (value); ≤ 0 sizes to 0. */
  readonly equity: Dec;
  /** Explicit stop price for risk-based sizing; when absent the sizer's stopLoss fraction applies. */
  readonly stopPrice?: Dec;
}

/** A pluggable sizing rule: returns an unsigned quantity (≥ 0); the caller applies the side. */
export interface PositionSizer {
  readonly name: string;
  /**
   * Units to trade for the request.
   * @throws DataError for a non-positive price or a zero stop distance; ConfigError when the rule cannot apply.
   */
  size(request: SizingRequest): Dec;
}

/** How quantities are rounded: whole units towards zero, or to `quantityDecimals` places when fractional. */
export interface QuantityRounding {
  readonly fractional?: boolean;
  /** Decimal places kept when fractional (default 8). */
  readonly quantityDecimals?: number;
}

/**
 * Rounds a non-negative quantity towards zero by the rounding rule.
 * @throws ConfigError when quantityDecimals is not an integer in [0, 18].
 */
export function roundQuantity(q: Dec, rounding: QuantityRounding): Dec {
  const places = rounding.fractional === true ? (rounding.quantityDecimals ?? 8) : 0;
  if (!Number.isInteger(places) || places < 0 || places > 18) {
    throw new ConfigError(`quantityDecimals must be an integer in [0, 18], got ${String(places)}`, 'quantityDecimals');
  }
  const r = q.toDecimalPlaces(places, Dec.ROUND_DOWN);
  return r.isNegative() || r.isZero() ? ZERO : r;
}

/**
 * Checks the request's price.
 * @throws DataError when the price is not positive.
 */
export function checkedPrice(request: SizingRequest): Dec {
  if (!request.price.isFinite() || request.price.lte(0)) {
    throw new DataError(`sizing ${request.symbol}: price ${request.price.toString()} must be positive`);
  }
  return request.price;
}

/**
 * Parses a Decimal parameter in [min, max] given as a string or Dec.
 * @throws ConfigError naming `field` when it is missing, malformed or out of range.
 */
export function decimalParam(value: Dec | string | undefined, field: string, min: Dec, max?: Dec): Dec {
  if (value === undefined) throw new ConfigError(`${field} is required`, field);
  let d: Dec;
  try {
    d = dec(value, field);
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : `${field} is not a decimal`, field);
  }
  if (d.lt(min) || (max !== undefined && d.gt(max))) {
    throw new ConfigError(`${field} must be in [${min.toString()}, ${max?.toString() ?? '∞'}], got ${d.toString()}`, field);
  }
  return d;
}
