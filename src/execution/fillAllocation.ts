// Simulated execution of netted orders: one external trade per symbol for the net, every order filled in full at that trade's price.
import { Dec, ONE, ZERO, dec, decStr } from '../money/decimal.js';
import { LedgerError } from '../errors.js';
import { exactTimes, truncatedShare } from '../ledger/exactArithmetic.js';
import type { EventData } from '../../events/catalogue.js';
import { commissionFor } from './commission.js';
import type { CommissionModel } from './commission.js';
import { applySlippage } from './slippage.js';
import { byCodeUnit, netOrders } from './netting.js';
import type { AcceptedOrder, NettedSymbol } from './netting.js';

/** Default decimal places of each order's share of a net commission (raised to the net commission's own places when it has more). */
export const COMMISSION_SHARE_DECIMALS = 8;

/** How simulated orders execute: commission model, adverse slippage in basis points, and the precision of commission shares. */
export interface ExecutionSettings {
  readonly commission: CommissionModel;
  readonly slippageBps: Dec;
  /** Decimal places of each order's commission share; default {@link COMMISSION_SHARE_DECIMALS}. */
  readonly commissionDecimals?: number;
}

/** One order's fill: its whole signed quantity at the symbol's execution price, with its share of the commission. */
export interface AllocatedFill {
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly commission: Dec;
  /** Slippage cost this fill paid: |quantity| × |price − reference| on the net's side, 0 on the opposite side (it gained instead). */
  readonly slippage: Dec;
}

/** Per-symbol netting summary: the OrdersNetted `symbols[]` entry as Decimal, plus the execution facts behind it. */
export interface NettingSummary {
  readonly symbol: string;
  readonly grossLong: Dec;
  readonly grossShort: Dec;
  readonly net: Dec;
  readonly strategies: readonly string[];
  /** Σ |quantity| × price over every order. */
  readonly grossValue: Dec;
  /** |net| × price: what actually traded outside the portfolio. */
  readonly netValue: Dec;
  /** Σ commission each order would have paid on its own − the net order's commission. */
  readonly commissionSaved: Dec;
  readonly referencePrice: Dec;
  readonly price: Dec;
  /** Commission of the external (net) trade; equals the sum of the fills' commissions. */
  readonly commission: Dec;
  /** Slippage cost of the external trade: |net| × |price − reference|. */
  readonly slippage: Dec;
}

/** The fills of one slice (ascending symbol, then order id) and one netting summary per symbol (ascending symbol). */
export interface ExecutionResult {
  readonly fills: readonly AllocatedFill[];
  readonly symbols: readonly NettingSummary[];
}

/**
 * Splits `total` across `weights` pro rata, each share truncated to `places` decimals, then the leftover units of
 * 10^−places go one each to the largest truncated remainders (ties: ascending key), so the shares sum exactly to `total`.
 */
function allocateProRata(total: Dec, items: readonly { readonly key: string; readonly weight: Dec }[], places: number): Dec[] {
  if (total.isZero()) return items.map(() => ZERO);
  // One order takes it all: total has at most `places` decimals, so its truncated share is total itself.
  if (items.length === 1 && total.decimalPlaces() <= places) return [total];
  const weightSum = items.reduce((s, i) => s.plus(i.weight), ZERO);
  const parts = items.map((item) => truncatedShare(total, item.weight, weightSum, places));
  const unit = new Dec(`1e-${places}`);
  const leftover = parts.reduce((s, p) => s.minus(p.truncated), total);
  const units = leftover.div(unit).toNumber();
  const ranked = items
    .map((item, index) => ({ index, key: item.key, remainder: parts[index]?.remainder ?? ZERO }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || byCodeUnit(a.key, b.key));
  const shares = parts.map((p) => p.truncated);
  for (const r of ranked.slice(0, units)) shares[r.index] = (shares[r.index] ?? ZERO).plus(unit);
  return shares;
}

function checkDecimals(places: number): number {
  if (!Number.isSafeInteger(places) || places < 0 || places > 30) {
    throw new LedgerError(`execution: commissionDecimals ${String(places)} must be an integer from 0 to 30`);
  }
  return places;
}

/**
 * Executes one symbol's netted orders at `referencePrice`: the net trades externally at the slipped price P (slippage
 * from the net's direction; P = reference when the net is zero), every order fills its whole quantity at P, and the net
 * order's commission is shared pro rata to |quantity| so that the shares sum exactly to it.
 * @throws LedgerError for a reference price ≤ 0 or a bad `commissionDecimals`; ConfigError for a bad commission or slippage setting.
 */
export function executeNettedSymbol(netted: NettedSymbol, referencePrice: Dec, settings: ExecutionSettings): { fills: AllocatedFill[]; summary: NettingSummary } {
  const reference = dec(referencePrice, `execution of ${netted.symbol}: reference price`);
  const { price, slippage } = applySlippage(reference, netted.net, settings.slippageBps);
  const commission = netted.net.isZero() ? ZERO : commissionFor(settings.commission, netted.net, price);
  const places = Math.max(checkDecimals(settings.commissionDecimals ?? COMMISSION_SHARE_DECIMALS), commission.decimalPlaces());
  const shares = allocateProRata(commission, netted.orders.map((o) => ({ key: o.orderId, weight: o.quantity.abs() })), places);
  const perUnitSlippage = price.minus(reference).abs();

  let separately = ZERO;
  let grossValue = ZERO;
  // Alone, an order would have traded at its own side's slipped price (one per side) and paid its own minimum.
  const aloneBuy = applySlippage(reference, ONE, settings.slippageBps).price;
  const aloneSell = applySlippage(reference, ONE.neg(), settings.slippageBps).price;
  const fills = netted.orders.map((order, i): AllocatedFill => {
    const onNetSide = !netted.net.isZero() && order.quantity.isPositive() === netted.net.isPositive();
    const alonePrice = order.quantity.isPositive() ? aloneBuy : aloneSell;
    separately = separately.plus(commissionFor(settings.commission, order.quantity, alonePrice));
    grossValue = grossValue.plus(exactTimes(order.quantity.abs(), price, `gross value of ${netted.symbol}`));
    return {
      orderId: order.orderId,
      strategyId: order.strategyId,
      symbol: order.symbol,
      quantity: order.quantity,
      price,
      commission: shares[i] ?? ZERO,
      slippage: onNetSide ? order.quantity.abs().times(perUnitSlippage) : ZERO,
    };
  });
  const summary: NettingSummary = {
    symbol: netted.symbol,
    grossLong: netted.grossLong,
    grossShort: netted.grossShort,
    net: netted.net,
    strategies: netted.strategies,
    grossValue,
    netValue: exactTimes(netted.net.abs(), price, `net value of ${netted.symbol}`),
    commissionSaved: separately.minus(commission),
    referencePrice: reference,
    price,
    commission,
    slippage,
  };
  return { fills, summary };
}

/**
 * Nets a slice's accepted orders per symbol and executes each symbol at its reference price (see {@link executeNettedSymbol}).
 * @throws LedgerError naming a symbol without a reference price, and the errors of {@link netOrders} and {@link executeNettedSymbol}.
 */
export function executeOrders(
  orders: readonly AcceptedOrder[],
  referencePriceOf: (symbol: string) => Dec | undefined,
  settings: ExecutionSettings,
): ExecutionResult {
  const fills: AllocatedFill[] = [];
  const symbols: NettingSummary[] = [];
  for (const netted of netOrders(orders)) {
    const reference = referencePriceOf(netted.symbol);
    if (reference === undefined) throw new LedgerError(`execution: no reference price for ${netted.symbol} in this slice`);
    const result = executeNettedSymbol(netted, reference, settings);
    fills.push(...result.fills);
    symbols.push(result.summary);
  }
  return { fills, symbols };
}

/** One symbol's summary as the OrdersNetted event's `symbols[]` entry (canonical decimal strings). */
export function toOrdersNettedSymbol(s: NettingSummary): EventData<'OrdersNetted'>['symbols'][number] {
  return {
    symbol: s.symbol,
    grossLong: decStr(s.grossLong),
    grossShort: decStr(s.grossShort),
    net: decStr(s.net),
    strategies: [...s.strategies],
    grossValue: decStr(s.grossValue),
    netValue: decStr(s.netValue),
    commissionSaved: decStr(s.commissionSaved),
  };
}

/** The whole OrdersNetted payload of a slice: its symbols plus the totals of gross and net traded value and commission saved. */
export function toOrdersNettedData(symbols: readonly NettingSummary[]): EventData<'OrdersNetted'> {
  const sum = (pick: (s: NettingSummary) => Dec): Dec => symbols.reduce((t, s) => t.plus(pick(s)), ZERO);
  return {
    symbols: symbols.map(toOrdersNettedSymbol),
    grossTradedValue: decStr(sum((s) => s.grossValue)),
    netTradedValue: decStr(sum((s) => s.netValue)),
    commissionSaved: decStr(sum((s) => s.commissionSaved)),
  };
}

/** A fill as the FillRecorded event's payload (canonical decimal strings). */
export function toFillRecordedData(f: AllocatedFill): EventData<'FillRecorded'> {
  return {
    orderId: f.orderId,
    strategyId: f.strategyId,
    symbol: f.symbol,
    quantity: decStr(f.quantity),
    price: decStr(f.price),
    commission: decStr(f.commission),
    slippage: decStr(f.slippage),
  };
}
