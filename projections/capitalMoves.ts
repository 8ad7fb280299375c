// The one reading of a CapitalTransferred for the projections and the log verifier: which account loses and which gains how much.
import { Dec } from '../src/money/decimal.js';
import { RESERVE } from '../events/catalogue.js';
import type { EventData } from '../events/catalogue.js';

/** One side of a transfer: an account (a strategy id or the reserve) and the signed change of its capital. */
export interface CapitalLeg {
  readonly account: string;
  readonly isReserve: boolean;
  readonly delta: Dec;
}

/** The two legs of a transfer, the paying side first: `from` loses the amount, `to` gains it. */
export function capitalLegs(data: EventData<'CapitalTransferred'>): readonly [CapitalLeg, CapitalLeg] {
  const amount = new Dec(data.amount);
  return [
    { account: data.from, isReserve: data.from === RESERVE, delta: amount.negated() },
    { account: data.to, isReserve: data.to === RESERVE, delta: amount },
  ];
}
