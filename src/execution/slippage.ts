// Slippage of simulated execution: the price a market order gets relative to its reference price, in basis points.
import { ZERO, dec, decStr } from '../money/decimal.js';
import type { Dec } from '../money/decimal.js';
import { ConfigError, LedgerError } from '../errors.js';

const BPS_PER_UNIT = 10_000;

/** The price an order executes at and the cost of the slippage in base currency (|quantity| × |price − reference|). */
export interface SlippedPrice {
  readonly price: Dec;
  readonly slippage: Dec;
}

/**
 * Executes against `reference` with `bps` basis points of adverse slippage: buys (quantity > 0) pay
 * reference × (1 + bps/10000), sells receive reference × (1 − bps/10000); a zero quantity gets the reference.
 * The price is kept at full precision: bps/10000 is exact in decimal, so the price has at most 4 + the
 * digits of bps more decimals than the reference, and nothing is rounded.
 * @throws ConfigError for bps < 0 or ≥ 10000; LedgerError for a reference ≤ 0; InvalidNumberError for non-finite inputs.
 */
export function applySlippage(reference: Dec, quantity: Dec, bps: Dec): SlippedPrice {
  const ref = dec(reference, 'slippage: reference price');
  const q = dec(quantity, 'slippage: quantity');
  const b = dec(bps, 'slippage: bps');
  if (!ref.isPositive() || ref.isZero()) throw new LedgerError(`slippage: reference price ${decStr(ref)} must be greater than 0`);
  if ((b.isNegative() && !b.isZero()) || b.gte(BPS_PER_UNIT)) {
    throw new ConfigError(`slippage: ${decStr(b)} bps must be at least 0 and below 10000`, 'slippageBps');
  }
  if (q.isZero() || b.isZero()) return { price: ref, slippage: ZERO };
  const shift = ref.times(b).div(BPS_PER_UNIT);
  const price = q.isPositive() ? ref.plus(shift) : ref.minus(shift);
  return { price, slippage: q.abs().times(shift) };
}
