// PortfolioWeightSizer: size a position to a target weight of equity (e.g. the optimiser's or allocator's weights).
import { ONE, ZERO, type Dec } from '../money/decimal.js';
import { checkedPrice, decimalParam, roundQuantity, type PositionSizer, type QuantityRounding, type SizingRequest } from './positionSizer.js';

/** Parameters of {@link PortfolioWeightSizer}. */
export interface PortfolioWeightSizerOptions extends QuantityRounding {
  /** Target weight per symbol in [0, 1], as decimal strings; a symbol without one sizes to 0. */
  readonly weights: Readonly<Record<string, Dec | string>>;
}

/** `quantity = weight × equity ÷ price`, rounded towards zero (whole units unless fractional); unknown symbol → 0. */
export class PortfolioWeightSizer implements PositionSizer {
  readonly name = 'portfolio-weight';
  readonly weights: ReadonlyMap<string, Dec>;
  readonly rounding: QuantityRounding;

  /** @throws ConfigError when a weight is malformed or outside [0, 1]. */
  constructor(options: PortfolioWeightSizerOptions) {
    const m = new Map<string, Dec>();
    for (const symbol of Object.keys(options.weights).sort()) {
      m.set(symbol, decimalParam(options.weights[symbol], `sizing.weights.${symbol}`, ZERO, ONE));
    }
    this.weights = m;
    this.rounding = { fractional: options.fractional, quantityDecimals: options.quantityDecimals };
  }

  /**
   * Units that make `symbol` its target weight of equity.
   * @throws DataError for a non-positive price.
   */
  size(request: SizingRequest): Dec {
    const price = checkedPrice(request);
    const w = this.weights.get(request.symbol);
    if (w === undefined || request.equity.lte(0)) return ZERO;
    return roundQuantity(w.times(request.equity).div(price), this.rounding);
  }
}

