// A ledger as plain JSON (decimals as strings) and back, for recovery snapshots.
import { dec, decStr, type DecString } from '../money/decimal.js';
import type { LedgerState, Position } from './types.js';

/** A ledger's state as JSON-safe data. */
export interface LedgerJson {
  readonly cash: DecString;
  readonly positions: readonly { readonly symbol: string; readonly quantity: DecString; readonly avgCost: DecString; readonly realizedPnl: DecString }[];
  readonly realizedPnl: DecString;
  readonly commissions: DecString;
  readonly transferredIn: DecString;
  readonly transferredOut: DecString;
}

/** Serialises a ledger; positions keep their order, so a rebuilt ledger sums them in the same order. */
export function ledgerToJson(state: LedgerState): LedgerJson {
  return {
    cash: decStr(state.cash),
    positions: [...state.positions.values()].map((p) => ({ symbol: p.symbol, quantity: decStr(p.quantity), avgCost: decStr(p.avgCost), realizedPnl: decStr(p.realizedPnl) })),
    realizedPnl: decStr(state.realizedPnl),
    commissions: decStr(state.commissions),
    transferredIn: decStr(state.transferredIn),
    transferredOut: decStr(state.transferredOut),
  };
}

/** Rebuilds a ledger from {@link ledgerToJson}'s data. @throws InvalidNumberError for a malformed amount. */
export function ledgerFromJson(json: LedgerJson): LedgerState {
  const positions = new Map<string, Position>();
  for (const p of json.positions) {
    positions.set(p.symbol, { symbol: p.symbol, quantity: dec(p.quantity), avgCost: dec(p.avgCost), realizedPnl: dec(p.realizedPnl) });
  }
  return {
    cash: dec(json.cash),
    positions,
    realizedPnl: dec(json.realizedPnl),
    commissions: dec(json.commissions),
    transferredIn: dec(json.transferredIn),
    transferredOut: dec(json.transferredOut),
  };
}
