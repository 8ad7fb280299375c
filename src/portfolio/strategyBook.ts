// A strategy's own book: its lifecycle state and its ledger, folded from the events about that strategy alone.
import type { LifecycleState } from '../../events/catalogue.js';
import { dec } from '../money/decimal.js';
import { emptyLedger, evolveLedgerExact, type LedgerEvent, type RecordedLedgerEvent } from '../ledger/ledger.js';
import type { LedgerState } from '../ledger/types.js';
import { LedgerError } from '../errors.js';
import { canMove } from './strategyLifecycle.js';

/** What a strategy actor owns. */
export interface StrategyBook {
  readonly strategyId: string;
  readonly lifecycle: LifecycleState;
  readonly ledger: LedgerState;
}

/** The events that concern one strategy's book (others are not routed to it). */
export type BookEvent =
  | { readonly type: 'StrategyLifecycleChanged'; readonly data: { readonly strategyId: string; readonly from: LifecycleState; readonly to: LifecycleState } }
  | { readonly type: 'FillRecorded'; readonly data: { readonly strategyId: string; readonly symbol: string; readonly quantity: string; readonly price: string; readonly commission: string } }
  | { readonly type: 'CapitalTransferred'; readonly data: { readonly from: string; readonly to: string; readonly amount: string } };

/** A new strategy's book: initializing, with an empty ledger. */
export function initialBook(strategyId: string): StrategyBook {
  return { strategyId, lifecycle: 'initializing', ledger: emptyLedger() };
}

/**
 * Folds a batch of the strategy's own events into its book: the one fold used live and on recovery. The ledger events
 * of a batch go through the ledger in one step (one copy of the positions per batch, not per fill).
 * @throws LedgerError for a lifecycle move the table forbids; the ledger's errors for a fill or transfer it refuses.
 */
export function evolveBook(book: StrategyBook, events: readonly BookEvent[]): StrategyBook {
  let lifecycle = book.lifecycle;
  const ledgerEvents: (LedgerEvent | RecordedLedgerEvent)[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'StrategyLifecycleChanged':
        if (e.data.from !== lifecycle || !canMove(lifecycle, e.data.to)) {
          throw new LedgerError(`strategy ${book.strategyId}: lifecycle ${e.data.from} → ${e.data.to} recorded while it is ${lifecycle}`);
        }
        lifecycle = e.data.to;
        break;
      case 'FillRecorded':
        // The recorded decimal strings go to the ledger as they are: it reads them into exact integers, not Decimals.
        ledgerEvents.push({ kind: 'fill', fill: e.data });
        break;
      case 'CapitalTransferred': {
        const amount = dec(e.data.amount);
        ledgerEvents.push({ kind: 'transfer', amount: e.data.to === book.strategyId ? amount : amount.neg() });
        break;
      }
    }
  }
  const ledger = evolveLedgerExact(book.ledger, ledgerEvents);
  return lifecycle === book.lifecycle && ledger === book.ledger ? book : { strategyId: book.strategyId, lifecycle, ledger };
}
