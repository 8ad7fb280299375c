// Audit of a portfolio's log: hash chain and revisions, rebalance transfers, and that folding fills and transfers reproduces every recorded value.
import { Dec, ZERO, decStr } from '../src/money/decimal.js';
import { emptyLedger, evolveLedger, ledgerValue } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';
import { RESERVE } from '../events/catalogue.js';
import { ChainVerifier } from '../events/chain.js';
import { invalidEventData, type RecordedEvent } from '../events/envelope.js';
import { isCorruptEventError } from '../events/errors.js';
import type { EventStore } from '../events/store.js';

/** Which check failed. */
export type VerificationCheck = 'decode' | 'chain' | 'portfolio' | 'transfer' | 'rebalance' | 'ledger' | 'marks';

/** The first broken event, or a clean bill. */
export type VerificationResult =
  | { readonly ok: true; readonly stream: string; readonly events: number; readonly rebalances: number; readonly marks: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly stream: string;
      readonly events: number;
      readonly check: VerificationCheck;
      readonly revision: number;
      readonly position: number;
      readonly reason: string;
    };

class Broken extends Error {
  constructor(
    readonly check: VerificationCheck,
    reason: string,
    readonly at: { readonly revision: number; readonly position: number } | null = null,
  ) {
    super(reason);
  }
}

interface Pending {
  readonly rebalanceId: string;
  readonly barTime: string | null;
  readonly at: { readonly revision: number; readonly position: number };
  net: Map<string, Dec>;
}

/**
 * Verifies one portfolio stream from its first event: decoding (self-hashes), every payload against its schema, the hash chain and contiguous revisions,
 * that every rebalance's transfers net to zero over reserve and strategies and touch only known accounts, and that folding
 * fills and transfers through the ledger reproduces each BarMarked's strategy values, cash, reserve and portfolio value exactly.
 * Stops at the first failure, which it names by stream, revision and position.
 */
export async function verifyPortfolioLog(store: EventStore, stream: string): Promise<VerificationResult> {
  const chain = new ChainVerifier();
  const ledgers = new Map<string, LedgerState>();
  const removed = new Set<string>();
  const marks = new Map<string, Dec>();
  let reserve: Dec | null = null;
  let pending: Pending | null = null;
  let lastMarkTime: string | null = null;
  let events = 0;
  let rebalances = 0;
  let markCount = 0;
  let current: RecordedEvent | null = null;

  const closeRebalance = (): void => {
    if (!pending) return;
    let sum = ZERO;
    for (const v of pending.net.values()) sum = sum.plus(v);
    if (!sum.isZero()) throw new Broken('rebalance', `rebalance ${pending.rebalanceId}: transfers net to ${decStr(sum)}, not 0`, pending.at);
    pending = null;
  };

  try {
    for await (const event of store.readStream(stream)) {
      current = event;
      events += 1;
      // Reads trust a current-version payload whose hash matches (validated when written); the audit trusts nothing.
      const invalid = invalidEventData(event);
      if (invalid !== null) {
        return { ok: false, stream, events, check: 'decode', revision: event.metadata.revision, position: event.position, reason: invalid };
      }
      if (!chain.push(event)) {
        const v = chain.verdict();
        if (!v.ok) return { ok: false, stream, events, check: 'chain', revision: v.revision, position: v.position, reason: v.reason };
      }
      const t = event.metadata.barTime;
      if (t !== null && lastMarkTime !== null && t <= lastMarkTime) {
        throw new Broken('marks', `bar time ${t} is not after the BarMarked of ${lastMarkTime} that closed the previous slice`);
      }
      // A rebalance's transfers follow its decision within the same slice (after the sales that free its cash).
      if (pending && (event.type === 'BarMarked' || event.type === 'RebalanceDecided' || t !== pending.barTime)) closeRebalance();
      if (events === 1 && event.type !== 'PortfolioOpened') throw new Broken('portfolio', `the first event is ${event.type}, not PortfolioOpened`);
      switch (event.type) {
        case 'PortfolioOpened':
          if (reserve !== null) throw new Broken('portfolio', 'a second PortfolioOpened');
          reserve = new Dec(event.data.totalCapital);
          break;
        case 'StrategyAdded':
          if (ledgers.has(event.data.strategyId)) throw new Broken('portfolio', `strategy ${event.data.strategyId} is added twice`);
          ledgers.set(event.data.strategyId, emptyLedger());
          break;
        case 'StrategyRemoved':
          if (!ledgers.has(event.data.strategyId) || removed.has(event.data.strategyId)) {
            throw new Broken('portfolio', `strategy ${event.data.strategyId} is removed but is not in the portfolio`);
          }
          removed.add(event.data.strategyId);
          break;
        case 'RebalanceDecided':
          rebalances += 1;
          pending = { rebalanceId: event.data.rebalanceId, barTime: t, at: { revision: event.metadata.revision, position: event.position }, net: new Map() };
          break;
        case 'CapitalTransferred': {
          const { from, to, rebalanceId } = event.data;
          const amount = new Dec(event.data.amount);
          if (from === to) throw new Broken('transfer', `transfer from ${from} to itself`);
          if (amount.isZero()) throw new Broken('transfer', 'transfer of 0');
          if (rebalanceId !== null && pending?.rebalanceId !== rebalanceId) {
            throw new Broken('rebalance', `transfer names rebalance ${rebalanceId}, which is not the RebalanceDecided of this slice`);
          }
          for (const [account, delta] of [
            [from, amount.negated()],
            [to, amount],
          ] as const) {
            if (pending) pending.net.set(account, (pending.net.get(account) ?? ZERO).plus(delta));
            if (account === RESERVE) {
              reserve = (reserve ?? ZERO).plus(delta);
              if (reserve.isNegative()) throw new Broken('transfer', `the reserve would go to ${decStr(reserve)}`);
              continue;
            }
            const ledger = ledgers.get(account);
            if (!ledger || removed.has(account)) throw new Broken('transfer', `transfer touches ${account}, which is not a strategy of the portfolio`);
            ledgers.set(account, evolve(ledger, delta, null));
          }
          break;
        }
        case 'FillRecorded': {
          const { strategyId, symbol, quantity, price, commission } = event.data;
          const ledger = ledgers.get(strategyId);
          if (!ledger || removed.has(strategyId)) throw new Broken('ledger', `fill for ${strategyId}, which is not a strategy of the portfolio`);
          ledgers.set(strategyId, evolve(ledger, null, { symbol, quantity: new Dec(quantity), price: new Dec(price), commission: new Dec(commission) }));
          break;
        }
        case 'BarMarked': {
          markCount += 1;
          lastMarkTime = t;
          for (const [sym, px] of Object.entries(event.data.marks)) marks.set(sym, new Dec(px));
          const active = [...ledgers.keys()].filter((id) => !removed.has(id)).sort();
          const recorded = Object.keys(event.data.strategyValues).sort();
          if (active.join('\u0000') !== recorded.join('\u0000')) {
            throw new Broken('marks', `values recorded for [${recorded.join(', ')}] but the portfolio holds [${active.join(', ')}]`);
          }
          let sum = ZERO;
          for (const id of active) {
            const ledger = ledgers.get(id) as LedgerState;
            const value = ledgerValue(ledger, (sym) => marks.get(sym));
            const rv = new Dec(event.data.strategyValues[id] as string);
            const rc = event.data.strategyCash[id];
            if (!value.equals(rv)) throw new Broken('ledger', `${id}: fills and transfers give a value of ${decStr(value)}, the log records ${decStr(rv)}`);
            if (rc === undefined || !ledger.cash.equals(new Dec(rc))) {
              throw new Broken('ledger', `${id}: fills and transfers give cash of ${decStr(ledger.cash)}, the log records ${rc ?? 'none'}`);
            }
            sum = sum.plus(value);
          }
          const r = reserve ?? ZERO;
          if (!r.equals(new Dec(event.data.reserve))) {
            throw new Broken('marks', `transfers give a reserve of ${decStr(r)}, the log records ${event.data.reserve}`);
          }
          if (!sum.plus(r).equals(new Dec(event.data.portfolioValue))) {
            throw new Broken('marks', `strategy values + reserve = ${decStr(sum.plus(r))}, the log records a portfolio value of ${event.data.portfolioValue}`);
          }
          break;
        }
        default:
          break;
      }
    }
    closeRebalance();
  } catch (e) {
    if (isCorruptEventError(e)) {
      return { ok: false, stream, events, check: 'decode', revision: e.location.revision, position: e.location.position, reason: e.reason };
    }
    if (e instanceof Broken || e instanceof Error) {
      const event = current as RecordedEvent | null;
      const at = e instanceof Broken && e.at ? e.at : { revision: event?.metadata.revision ?? -1, position: event?.position ?? 0 };
      return {
        ok: false,
        stream,
        events,
        check: e instanceof Broken ? e.check : 'ledger',
        revision: at.revision,
        position: at.position,
        reason: e.message,
      };
    }
    throw e;
  }
  const v = chain.verdict();
  return { ok: true, stream, events, rebalances, marks: markCount, headHash: v.ok ? v.headHash : '' };
}

function evolve(ledger: LedgerState, transfer: Dec | null, fill: { symbol: string; quantity: Dec; price: Dec; commission: Dec } | null): LedgerState {
  return transfer ? evolveLedger(ledger, { kind: 'transfer', amount: transfer }) : evolveLedger(ledger, { kind: 'fill', fill: fill as NonNullable<typeof fill> });
}
