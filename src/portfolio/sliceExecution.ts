// Simulated execution of a slice's orders: grouped by the price they execute at, netted per symbol, split back per order.
import { dec, type Dec } from '../money/decimal.js';
import type { PortfolioConfig } from '../config/portfolioConfig.js';
import { commissionFor, type CommissionModel } from '../execution/commission.js';
import { applySlippage } from '../execution/slippage.js';
import { executeOrders, toFillRecordedData, toOrdersNettedData, type ExecutionSettings, type NettingSummary } from '../execution/fillAllocation.js';
import { executeOrdersExact, ordersNettedDataExact, type ExactSummary } from '../execution/exactExecution.js';
import type { EventData } from '../../events/catalogue.js';

/** An accepted order ready to execute. */
export interface ExecutableOrder {
  readonly orderId: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quantity: Dec;
}

/** The execution section of a portfolio config. */
export type ExecutionConfig = PortfolioConfig['execution'];

/** A slice's execution: the OrdersNetted payload and one FillRecorded payload per order. */
export interface SliceExecution {
  readonly netted: EventData<'OrdersNetted'>;
  readonly fills: readonly EventData<'FillRecorded'>[];
}

/**
 * Executes orders at their reference prices; orders of one symbol at different prices (a next-open fill beside a
 * close fill) are netted separately, so the OrdersNetted event may list a symbol once per price.
 */
export function executeSliceOrders(orders: readonly { order: ExecutableOrder; price: Dec }[], execution: ExecutionConfig): SliceExecution {
  const settings: ExecutionSettings = { commission: execution.commission as CommissionModel, slippageBps: slippageBpsOf(execution) };
  const groups = new Map<string, { orders: ExecutableOrder[]; prices: Map<string, Dec> }>();
  for (const { order, price } of orders) {
    // One group per distinct price of a symbol: group k holds each symbol's k-th distinct price.
    let placed = false;
    for (const g of groups.values()) {
      const existing = g.prices.get(order.symbol);
      if (existing === undefined || existing.eq(price)) {
        g.prices.set(order.symbol, price);
        g.orders.push(order);
        placed = true;
        break;
      }
    }
    if (!placed) groups.set(String(groups.size), { orders: [order], prices: new Map([[order.symbol, price]]) });
  }
  const exact = executeGroupsExact(groups, settings);
  if (exact !== null) return exact;
  const symbols: NettingSummary[] = [];
  const fills: EventData<'FillRecorded'>[] = [];
  for (const g of groups.values()) {
    const result = executeOrders(g.orders, (s) => g.prices.get(s), settings);
    symbols.push(...result.symbols);
    fills.push(...result.fills.map(toFillRecordedData));
  }
  return { netted: toOrdersNettedData(symbols), fills };
}

/** The same execution in exact integers (src/execution/exactExecution.ts), or null where the Decimal path must answer. */
function executeGroupsExact(groups: ReadonlyMap<string, { orders: ExecutableOrder[]; prices: Map<string, Dec> }>, settings: ExecutionSettings): SliceExecution | null {
  const symbols: ExactSummary[] = [];
  const fills: EventData<'FillRecorded'>[] = [];
  for (const g of groups.values()) {
    const result = executeOrdersExact(g.orders, (s) => g.prices.get(s), settings);
    if (result === null) return null;
    symbols.push(...result.symbols);
    fills.push(...result.fills);
  }
  const netted = ordersNettedDataExact(symbols);
  return netted === null ? null : { netted, fills };
}

/** Cash an order of `quantity` at reference `price` would cost alone (buy > 0; a sale's cost is negative), slippage and commission included. */
export function estimateCashCost(execution: ExecutionConfig, quantity: Dec, price: Dec): Dec {
  if (quantity.isZero()) return quantity;
  const slipped = applySlippage(price, quantity, slippageBpsOf(execution)).price;
  return quantity.times(slipped).plus(commissionFor(execution.commission as CommissionModel, quantity, slipped));
}

// Parsed once per config object: the limits price every order of every slice with it.
const parsedBps = new WeakMap<ExecutionConfig, Dec>();

/** The configured slippage in basis points, parsed once per config. @throws InvalidNumberError for a malformed value. */
export function slippageBpsOf(execution: ExecutionConfig): Dec {
  let bps = parsedBps.get(execution);
  if (bps === undefined) {
    bps = dec(execution.slippageBps, 'execution.slippageBps');
    parsedBps.set(execution, bps);
  }
  return bps;
}
