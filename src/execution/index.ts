// Public API of src/execution (re-exported from the package root).
export { commissionFor } from './commission.js';
export type { CommissionModel } from './commission.js';
export { applySlippage } from './slippage.js';
export type { SlippedPrice } from './slippage.js';
export { netOrders } from './netting.js';
export type { AcceptedOrder, NettedSymbol } from './netting.js';
export {
  COMMISSION_SHARE_DECIMALS,
  executeNettedSymbol,
  executeOrders,
  toFillRecordedData,
  toOrdersNettedData,
  toOrdersNettedSymbol,
} from './fillAllocation.js';
export type { AllocatedFill, ExecutionResult, ExecutionSettings, NettingSummary } from './fillAllocation.js';
