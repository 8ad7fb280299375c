// RiskBasedSizer: size an entry so that hitting its stop loses a fixed share of equity.
import { DataError } from '../errors.js';
import { Dec, ONE, ZERO } from '../money/decimal.js';
import { checkedPrice, decimalParam, roundQuantity, type PositionSizer, type QuantityRounding, type SizingRequest } from './positionSizer.js';

/** Parameters of {@link RiskBasedSizer}; fractions as decimal strings. */
export interface RiskBasedSizerOptions extends QuantityRounding {
  /** Share of equity lost if the stop is hit, e.g. '0.01'. */
  readonly riskPerTrade: Dec | string;
  /** Stop distance as a fraction of the price, used when a request has no stopPrice, e.g. '0.05'. */
  readonly stopLoss?: Dec | string;
  /** Cap on the position's value as a share of equity (default '1': no leverage). */
  readonly maxPositionWeight?: Dec | string;
}

/**
 * `quantity = equity × riskPerTrade ÷ stopDistance`, stopDistance = |price − stopPrice| or price × stopLoss,
 * capped at `equity × maxPositionWeight ÷ price`, rounded towards zero (whole units unless fractional).
 */
export class RiskBasedSizer implements PositionSizer {
  readonly name: string = 'risk-based';
  readonly riskPerTrade: Dec;
  readonly stopLoss: Dec | undefined;
  readonly maxPositionWeight: Dec;
  readonly rounding: QuantityRounding;

  /** @throws ConfigError when riskPerTrade or stopLoss is outside (0, 1] or maxPositionWeight is negative. */
  constructor(options: RiskBasedSizerOptions) {
    this.riskPerTrade = decimalParam(options.riskPerTrade, 'sizing.riskPerTrade', ZERO, ONE);
    this.stopLoss = options.stopLoss === undefined ? undefined : decimalParam(options.stopLoss, 'sizing.stopLoss', ZERO, ONE);
    if (this.riskPerTrade.isZero()) decimalParam('0', 'sizing.riskPerTrade', new Dec('1e-30'));
    if (this.stopLoss?.isZero() === true) decimalParam('0', 'sizing.stopLoss', new Dec('1e-30'));
    this.maxPositionWeight = decimalParam(options.maxPositionWeight ?? '1', 'sizing.maxPositionWeight', ZERO);
    this.rounding = { fractional: options.fractional, quantityDecimals: options.quantityDecimals };
  }

  /**
   * Unrounded risk-based quantity (before the weight cap and rounding); used by BetaSizer to avoid rounding twice.
   * @throws DataError for a non-positive price or a zero stop distance; ConfigError when no stop is known.
   */
  rawSize(request: SizingRequest): Dec {
    const price = checkedPrice(request);
    if (request.equity.lte(0)) return ZERO;
    let distance: Dec;
    if (request.stopPrice !== undefined) {
      distance = price.minus(request.stopPrice).abs();
    } else if (this.stopLoss !== undefined) {
      distance = price.times(this.stopLoss);
    } else {
      throw new DataError(`sizing ${request.symbol}: no stopPrice in the request and no sizing.stopLoss configured`);
    }
    if (distance.isZero()) throw new DataError(`sizing ${request.symbol}: stop price equals the entry price ${price.toString()}`);
    return request.equity.times(this.riskPerTrade).div(distance);
  }

  /** Caps a quantity at the maximum position weight and rounds it. */
  finish(request: SizingRequest, quantity: Dec): Dec {
    if (request.equity.lte(0)) return ZERO;
    const cap = request.equity.times(this.maxPositionWeight).div(request.price);
    return roundQuantity(Dec.min(quantity, cap), this.rounding);
  }

  /**
   * Risk-based quantity for the request.
   * @throws DataError for a non-positive price or a zero stop distance, or when no stop is known.
   */
  size(request: SizingRequest): Dec {
    return this.finish(request, this.rawSize(request));
  }
}
