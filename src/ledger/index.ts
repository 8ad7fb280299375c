// Public API of src/ledger (re-exported from the package root).
export {
  AVG_COST_DECIMALS,
  applyFill,
  applyTransfer,
  costBasis,
  createLedgerView,
  emptyLedger,
  evolveLedger,
  evolveLedgerAll,
  ledgerValue,
} from './ledger.js';
export type { LedgerEvent } from './ledger.js';
export { DEC_PRECISION, exactMinus, exactPlus, exactTimes } from './exactArithmetic.js';
export { ledgerFromJson, ledgerToJson } from './ledgerJson.js';
export type { LedgerJson } from './ledgerJson.js';
