// Commission models of simulated execution: what one order pays its broker, in base currency (exact Decimal).
import { ZERO, dec, decStr } from '../money/decimal.js';
import type { Dec, DecString } from '../money/decimal.js';
import { ConfigError, LedgerError } from '../errors.js';

/** How an order's commission is computed; the minimum applies once per order. */
export type CommissionModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'per-share'; readonly perShare: DecString; readonly minimum: DecString }
  | { readonly kind: 'percent'; readonly rate: DecString; readonly minimum: DecString };

function nonNegative(text: DecString, field: string): Dec {
  const value = dec(text, `commission ${field}`);
  if (value.isNegative() && !value.isZero()) {
    throw new ConfigError(`commission ${field}: ${decStr(value)} must not be negative`, field);
  }
  return value;
}

/**
 * Commission of one order of `quantity` (signed) at `price`: per-share = max(|q| × perShare, minimum),
 * percent = max(|q| × price × rate, minimum) with `rate` a fraction (0.001 = 0.1%), none = 0; a zero quantity pays 0.
 * Amounts are kept at full precision (no rounding to cents).
 * @throws ConfigError for a negative or malformed model parameter; InvalidNumberError for a non-finite quantity or price;
 *   LedgerError for a price ≤ 0.
 */
export function commissionFor(model: CommissionModel, quantity: Dec, price: Dec): Dec {
  const q = dec(quantity, 'commission: quantity');
  const p = dec(price, 'commission: price');
  if (!p.isPositive() || p.isZero()) throw new LedgerError(`commission: price ${decStr(p)} must be greater than 0`);
  const parsed = parsedModel(model);
  if (parsed.kind === 'none' || q.isZero()) return ZERO;
  const fee = parsed.kind === 'per-share' ? q.abs().times(parsed.perShare) : q.abs().times(p).times(parsed.rate);
  return fee.greaterThan(parsed.minimum) ? fee : parsed.minimum;
}

type ParsedModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'per-share'; readonly perShare: Dec; readonly minimum: Dec }
  | { readonly kind: 'percent'; readonly rate: Dec; readonly minimum: Dec };

// A model is parsed once per model object: an engine prices thousands of orders with the same one.
const parsedModels = new WeakMap<CommissionModel, ParsedModel>();

function parsedModel(model: CommissionModel): ParsedModel {
  const known = parsedModels.get(model);
  if (known !== undefined) return known;
  let parsed: ParsedModel;
  switch (model.kind) {
    case 'none':
      parsed = { kind: 'none' };
      break;
    case 'per-share':
      parsed = { kind: 'per-share', perShare: nonNegative(model.perShare, 'perShare'), minimum: nonNegative(model.minimum, 'minimum') };
      break;
    case 'percent':
      parsed = { kind: 'percent', rate: nonNegative(model.rate, 'rate'), minimum: nonNegative(model.minimum, 'minimum') };
      break;
  }
  parsedModels.set(model, parsed);
  return parsed;
}
