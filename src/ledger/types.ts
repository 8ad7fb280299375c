// Shapes of a strategy's ledger: its cash, positions and running totals (all Decimal).
import type { Dec } from '../money/decimal.js';

/** A holding in one symbol: signed quantity (short < 0), average cost of the open quantity, realised P&L so far. */
export interface Position {
  readonly symbol: string;
  readonly quantity: Dec;
  readonly avgCost: Dec;
  readonly realizedPnl: Dec;
}

/** The whole state of one strategy's ledger; a pure fold over its fills and transfers. */
export interface LedgerState {
  readonly cash: Dec;
  /** Open positions only (a position that closes to zero is removed; its realised P&L stays in `realizedPnl`). */
  readonly positions: ReadonlyMap<string, Position>;
  readonly realizedPnl: Dec;
  readonly commissions: Dec;
  readonly transferredIn: Dec;
  readonly transferredOut: Dec;
}

/** A fill as the ledger sees it: signed quantity (buy > 0), execution price, commission paid. */
export interface LedgerFill {
  readonly symbol: string;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
}

/** Read-only view of a ledger handed to strategy code. */
export interface LedgerView {
  readonly cash: Dec;
  readonly positions: ReadonlyMap<string, Position>;
  /** Signed quantity held in `symbol` (zero when flat). */
  quantity(symbol: string): Dec;
  /** Cash plus positions valued at the latest marks. */
  value(): Dec;
}
