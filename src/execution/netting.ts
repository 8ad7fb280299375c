// Netting of a slice's accepted orders per symbol: gross long, gross short, net and who is involved, in a fixed order.
import { ZERO, dec, decStr } from '../money/decimal.js';
import type { Dec } from '../money/decimal.js';
import { LedgerError } from '../errors.js';

/** An order accepted by the engine's limits in this slice (signed quantity: buy > 0). */
export interface AcceptedOrder {
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: Dec;
}

/** One symbol's orders netted: gross long and gross short (both ≥ 0), net = long − short, sorted strategy ids, orders sorted by id. */
export type NettedSymbol = NettedOrders<Dec, AcceptedOrder>;

/** {@link NettedSymbol} with its amounts and orders in another form (exact integers, in exactExecution.ts). */
export interface NettedOrders<Amount, Order> {
  readonly symbol: string;
  readonly grossLong: Amount;
  readonly grossShort: Amount;
  readonly net: Amount;
  readonly strategies: readonly string[];
  readonly orders: readonly Order[];
}

/** Code-unit order, independent of locale, so the result never depends on the machine. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Nets orders per symbol; the result is in ascending symbol order and independent of the input order.
 * @throws LedgerError for a duplicate order id, an empty id or symbol, or a zero quantity; InvalidNumberError for a non-finite quantity.
 */
export function netOrders(orders: readonly AcceptedOrder[]): NettedSymbol[] {
  const seen = new Set<string>();
  const bySymbol = new Map<string, AcceptedOrder[]>();
  for (const order of orders) {
    const where = `order ${JSON.stringify(order.orderId)}`;
    if (order.orderId === '') throw new LedgerError('netting: an order has an empty order id');
    if (seen.has(order.orderId)) throw new LedgerError(`netting: ${where} appears twice in one slice`);
    seen.add(order.orderId);
    if (order.symbol.trim() === '' || order.strategyId.trim() === '') {
      throw new LedgerError(`netting: ${where} needs a symbol and a strategy id`);
    }
    const quantity = dec(order.quantity, `netting: ${where} quantity`);
    if (quantity.isZero()) throw new LedgerError(`netting: ${where} (${order.symbol}) has quantity ${decStr(quantity)}; drop empty orders before netting`);
    const list = bySymbol.get(order.symbol) ?? [];
    list.push(order);
    bySymbol.set(order.symbol, list);
  }
  return [...bySymbol.keys()].sort(byCodeUnit).map((symbol) => {
    const list = (bySymbol.get(symbol) ?? []).slice().sort((a, b) => byCodeUnit(a.orderId, b.orderId));
    let grossLong = ZERO;
    let grossShort = ZERO;
    for (const o of list) {
      if (o.quantity.isPositive()) grossLong = grossLong.plus(o.quantity);
      else grossShort = grossShort.minus(o.quantity);
    }
    const strategies = [...new Set(list.map((o) => o.strategyId))].sort(byCodeUnit);
    return { symbol, grossLong, grossShort, net: grossLong.minus(grossShort), strategies, orders: list };
  });
}
