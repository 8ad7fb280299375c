// Audit of a portfolio's log: hash chain and revisions, each rebalance's transfers against its recorded targets, the reserve, every recorded value refolded from fills and transfers, and no strategy's cash below zero.
import { Dec, ZERO, decStr } from '../src/money/decimal.js';
import { add, exactOfDec, textOf } from '../src/money/exact.js';
import { emptyLedger, evolveLedger, ledgerValue } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';
import { RESERVE, type EventData } from '../events/catalogue.js';
import { ownValue } from '../src/records/ownKeys.js';
import { ChainVerifier } from '../events/chain.js';
import { invalidEventData, type RecordedEvent } from '../events/envelope.js';
import { isCorruptEventError } from '../events/errors.js';
import type { EventStore } from '../events/store.js';
import { capitalLegs } from './capitalMoves.js';
import { targetCapital } from '../src/portfolio/rebalancePlan.js';

/** Which check failed. */
export type VerificationCheck = 'decode' | 'chain' | 'head' | 'portfolio' | 'transfer' | 'rebalance' | 'ledger' | 'cash' | 'marks';

/** What a clean verification proved, in counts a user can compare with the log. */
export interface VerificationProof {
  readonly stream: string;
  readonly events: number;
  readonly headHash: string;
  /** Whether the head hash equals the one the caller expected (null: none was given, so a cut tail is undetectable). */
  readonly headMatchesExpected: boolean | null;
  /** Rebalances whose targets are their final weights × the portfolio value, and whose every transfer equals what the plan allows for those targets and the recorded values. */
  readonly rebalances: number;
  /** Transfers checked (rebalance, funding, removal); the reserve stayed ≥ 0 after each. */
  readonly transfers: number;
  /** The lowest the reserve went (a decimal string; the opening capital when nothing moved). */
  readonly lowestReserve: string;
  /** BarMarked events whose strategy values, cash, reserve and portfolio value equal the refold of fills, transfers and marks. */
  readonly marks: number;
  /** The lowest cash of any strategy at a mark (a decimal string; never below zero in a sound log; "0" with no marks). */
  readonly lowestCash: string;
}

/** The first broken event, or what was proved. */
export type VerificationResult =
  | ({ readonly ok: true } & VerificationProof)
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

const CENT = new Dec('0.01');

/** A rebalance being checked: what its decision lets each strategy move, and what moved. */
interface OpenRebalance {
  readonly rebalanceId: string;
  readonly barTime: string | null;
  readonly at: { readonly revision: number; readonly position: number };
  /** target − value per strategy named by the decision (negative: a decrease). */
  readonly wants: ReadonlyMap<string, Dec>;
  /** Σ of the positive wants: what increases ask of the reserve. */
  readonly wanted: Dec;
  /** The reserve when the first increase was paid (after every decrease), or null before. */
  available: Dec | null;
  readonly moved: Set<string>;
}

/** Options of a verification. */
export interface VerifyOptions {
  /** The head hash the user kept from the run (printed by backtest and demo); a different or missing head fails the `head` check. */
  readonly expectHead?: string;
}

/**
 * Verifies one portfolio stream from its first event and stops at the first failure, named by stream, revision and
 * position. It proves: every payload decodes and matches its schema and self-hash; revisions are contiguous and every
 * prevHash links (the chain); every rebalance target is its final weight × the recorded portfolio value (to the cent
 * below), and every rebalance transfer is exactly what the plan allows for the decision's recorded targets and values
 * (a decrease moves value − target, or all the strategy's cash when that is less; an increase moves target − value,
 * scaled down pro rata to cents when the reserve after the decreases cannot pay them all), each
 * strategy moves at most once per rebalance and only strategies it names move; the reserve never goes below zero; and
 * folding fills and transfers through the ledger (src/ledger) with the recorded marks reproduces each BarMarked's
 * strategy values, cash, reserve and portfolio value exactly. With `expectHead` it also proves the log ends at that
 * event; without it, a log cut at its end is indistinguishable from a shorter run. A stream with no events fails the
 * `portfolio` check: there is no log to prove.
 */
export async function verifyPortfolioLog(store: EventStore, stream: string, options: VerifyOptions = {}): Promise<VerificationResult> {
  const chain = new ChainVerifier();
  const ledgers = new Map<string, LedgerState>();
  const removed = new Set<string>();
  const marks = new Map<string, Dec>();
  let reserve: Dec | null = null;
  let lowestReserve: Dec | null = null;
  let lowestCash: Dec | null = null;
  let open: OpenRebalance | null = null;
  let lastMarkTime: string | null = null;
  let events = 0;
  let rebalances = 0;
  let transfers = 0;
  let markCount = 0;
  let current: RecordedEvent | null = null;

  const liveLedger = (id: string, check: VerificationCheck, what: string): LedgerState => {
    const ledger = ledgers.get(id);
    if (!ledger || removed.has(id)) throw new Broken(check, `${what} ${id}, which is not a strategy of the portfolio`);
    return ledger;
  };

  const closeRebalance = (): void => {
    const r = open;
    if (!r) return;
    open = null;
    // A strategy the decision asked to move but that did not: only right when the plan allows nothing for it.
    for (const [id, want] of r.wants) {
      if (r.moved.has(id) || want.isZero() || removed.has(id)) continue;
      const allowed = want.isNegative() ? decreaseAllowed(want, (ledgers.get(id) as LedgerState).cash) : increaseAllowed(want, r.wanted, r.available ?? reserve ?? ZERO);
      if (!allowed.isZero()) {
        throw new Broken('rebalance', `rebalance ${r.rebalanceId}: ${id} should have moved ${decStr(allowed)} toward its target and moved nothing`, r.at);
      }
    }
  };

  const checkRebalanceTransfer = (r: OpenRebalance, from: string, to: string, amount: Dec): void => {
    const strategy = from === RESERVE ? to : from;
    if (from !== RESERVE && to !== RESERVE) throw new Broken('rebalance', `rebalance ${r.rebalanceId}: a transfer between two strategies (${from} → ${to})`);
    const want = r.wants.get(strategy);
    if (want === undefined) throw new Broken('rebalance', `rebalance ${r.rebalanceId} moves capital of ${strategy}, which its decision does not name`);
    if (r.moved.has(strategy)) throw new Broken('rebalance', `rebalance ${r.rebalanceId} moves capital of ${strategy} twice`);
    r.moved.add(strategy);
    let allowed: Dec;
    if (from === strategy) {
      if (!want.isNegative()) throw new Broken('rebalance', `rebalance ${r.rebalanceId}: ${strategy} gives capital but its target ${decStr(want)} above its value asks for more`);
      if (r.available !== null) throw new Broken('rebalance', `rebalance ${r.rebalanceId}: a decrease of ${strategy} after an increase was paid`);
      allowed = decreaseAllowed(want, liveLedger(strategy, 'rebalance', 'a decrease of').cash);
    } else {
      if (!want.isPositive() || want.isZero()) throw new Broken('rebalance', `rebalance ${r.rebalanceId}: ${strategy} receives capital but its target is ${decStr(want.negated())} below its value`);
      r.available ??= reserve ?? ZERO;
      allowed = increaseAllowed(want, r.wanted, r.available);
    }
    if (!amount.equals(allowed)) {
      throw new Broken(
        'rebalance',
        `rebalance ${r.rebalanceId}: ${strategy} moved ${decStr(amount)}; its recorded target and value allow exactly ${decStr(allowed)}`,
      );
    }
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
      if (open && (event.type === 'BarMarked' || event.type === 'RebalanceDecided' || t !== open.barTime)) closeRebalance();
      if (events === 1 && event.type !== 'PortfolioOpened') throw new Broken('portfolio', `the first event is ${event.type}, not PortfolioOpened`);
      switch (event.type) {
        case 'PortfolioOpened':
          if (reserve !== null) throw new Broken('portfolio', 'a second PortfolioOpened');
          reserve = new Dec(event.data.totalCapital);
          lowestReserve = reserve;
          break;
        case 'StrategyAdded':
          if (ledgers.has(event.data.strategyId)) throw new Broken('portfolio', `strategy ${event.data.strategyId} is added twice`);
          ledgers.set(event.data.strategyId, emptyLedger());
          break;
        case 'StrategyRemoved':
          liveLedger(event.data.strategyId, 'portfolio', 'removal of');
          removed.add(event.data.strategyId);
          break;
        case 'RebalanceDecided': {
          rebalances += 1;
          checkTargets(event.data);
          const wants = new Map<string, Dec>();
          let wanted = ZERO;
          for (const id of Object.keys(event.data.targets).sort()) {
            const value = event.data.inputs[id]?.value;
            if (typeof value !== 'string') throw new Broken('rebalance', `rebalance ${event.data.rebalanceId}: no recorded value for ${id}, whose target is recorded`);
            const want = new Dec(event.data.targets[id] as string).minus(new Dec(value));
            wants.set(id, want);
            if (want.isPositive()) wanted = wanted.plus(want);
          }
          open = { rebalanceId: event.data.rebalanceId, barTime: t, at: { revision: event.metadata.revision, position: event.position }, wants, wanted, available: null, moved: new Set() };
          break;
        }
        case 'CapitalTransferred': {
          const { from, to, rebalanceId } = event.data;
          const [out, into] = capitalLegs(event.data);
          if (from === to) throw new Broken('transfer', `transfer from ${from} to itself`);
          if (into.delta.isZero()) throw new Broken('transfer', 'transfer of 0');
          transfers += 1;
          if (rebalanceId !== null) {
            if (open?.rebalanceId !== rebalanceId) throw new Broken('rebalance', `transfer names rebalance ${rebalanceId}, which is not the RebalanceDecided of this slice`);
            checkRebalanceTransfer(open, from, to, into.delta);
          }
          for (const leg of [out, into]) {
            if (leg.isReserve) {
              reserve = (reserve ?? ZERO).plus(leg.delta);
              if (reserve.isNegative()) throw new Broken('transfer', `the reserve would go to ${decStr(reserve)}`);
              if (lowestReserve === null || reserve.lt(lowestReserve)) lowestReserve = reserve;
              continue;
            }
            ledgers.set(leg.account, evolveLedger(liveLedger(leg.account, 'transfer', 'transfer touches'), { kind: 'transfer', amount: leg.delta }));
          }
          break;
        }
        case 'FillRecorded': {
          const { strategyId, symbol, quantity, price, commission } = event.data;
          const ledger = liveLedger(strategyId, 'ledger', 'fill for');
          ledgers.set(strategyId, evolveLedger(ledger, { kind: 'fill', fill: { symbol, quantity: new Dec(quantity), price: new Dec(price), commission: new Dec(commission) } }));
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
          // Summed exactly: the recorded total is exact at any length, as the values it adds are.
          let sum = exactOfDec(reserve ?? ZERO);
          for (const id of active) {
            const ledger = ledgers.get(id) as LedgerState;
            const value = ledgerValue(ledger, (sym) => marks.get(sym));
            const rv = new Dec(event.data.strategyValues[id] as string);
            const rc = event.data.strategyCash[id];
            if (!value.equals(rv)) throw new Broken('ledger', `${id}: fills and transfers give a value of ${decStr(value)}, the log records ${decStr(rv)}`);
            if (rc === undefined || !ledger.cash.equals(new Dec(rc))) {
              throw new Broken('ledger', `${id}: fills and transfers give cash of ${decStr(ledger.cash)}, the log records ${rc ?? 'none'}`);
            }
            // A strategy spends only the cash it has: its orders are sized, and checked again where they fill, to keep this.
            if (ledger.cash.isNegative()) throw new Broken('cash', `${id}: cash is ${decStr(ledger.cash)} at the mark of ${t ?? 'this bar'}: it spent more than it had`);
            if (lowestCash === null || ledger.cash.lt(lowestCash)) lowestCash = ledger.cash;
            sum = add(sum, exactOfDec(value));
          }
          const r = reserve ?? ZERO;
          if (!r.equals(new Dec(event.data.reserve))) {
            throw new Broken('marks', `transfers give a reserve of ${decStr(r)}, the log records ${event.data.reserve}`);
          }
          // Both terms are this audit's own refold, so this compares the recorded total with fills, transfers and marks.
          if (textOf(sum) !== event.data.portfolioValue) {
            throw new Broken('marks', `refolded strategy values + reserve = ${textOf(sum)}, the log records a portfolio value of ${event.data.portfolioValue}`);
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
    if (e instanceof Error) {
      const event = current as RecordedEvent | null;
      const at = e instanceof Broken && e.at ? e.at : { revision: event?.metadata.revision ?? -1, position: event?.position ?? 0 };
      return { ok: false, stream, events, check: e instanceof Broken ? e.check : 'ledger', revision: at.revision, position: at.position, reason: e.message };
    }
    throw e;
  }
  // Nothing broken is not a log proved intact: a portfolio id with a typo names a stream that does not exist.
  if (events === 0) {
    return { ok: false, stream, events, check: 'portfolio', revision: -1, position: 0, reason: `the stream ${stream} holds no events: there is no portfolio log to verify (is the portfolio id right?)` };
  }
  const v = chain.verdict();
  const headHash = v.ok ? v.headHash : '';
  if (options.expectHead !== undefined && options.expectHead !== headHash) {
    const last = current as RecordedEvent | null;
    return {
      ok: false,
      stream,
      events,
      check: 'head',
      revision: last?.metadata.revision ?? -1,
      position: last?.position ?? 0,
      reason:
        `the log ends at head hash ${headHash || '(no events)'}, not the expected ${options.expectHead}: ` +
        'events were cut from its end, or it is another log',
    };
  }
  return {
    ok: true,
    stream,
    events,
    headHash,
    headMatchesExpected: options.expectHead === undefined ? null : true,
    rebalances,
    transfers,
    lowestReserve: decStr(lowestReserve ?? ZERO),
    marks: markCount,
    lowestCash: decStr(lowestCash ?? ZERO),
  };
}

/** Each recorded target is its final weight × the recorded portfolio value (to the cent below), so the weights audit shows are the ones that moved capital. */
function checkTargets(d: EventData<'RebalanceDecided'>): void {
  const pv = new Dec(d.portfolioValue);
  for (const id of [...new Set([...Object.keys(d.finalWeights), ...Object.keys(d.targets)])].sort()) {
    const weight = ownValue(d.finalWeights, id);
    const target = ownValue(d.targets, id);
    if (weight === undefined) throw new Broken('rebalance', `rebalance ${d.rebalanceId}: ${id} has a target of ${target ?? ''} but no final weight`);
    if (target === undefined) throw new Broken('rebalance', `rebalance ${d.rebalanceId}: ${id} has a final weight of ${weight} but no target`);
    const expected = targetCapital(weight, pv);
    if (!expected.equals(new Dec(target))) {
      throw new Broken('rebalance', `rebalance ${d.rebalanceId}: the target of ${id} is ${target}, but its final weight ${weight} × the portfolio value ${d.portfolioValue} gives ${decStr(expected)}`);
    }
  }
}

/** What a decrease may move: target − value, or all of the strategy's cash when it holds less (never below zero). */
function decreaseAllowed(want: Dec, cash: Dec): Dec {
  return Dec.min(want.negated(), cash.isNegative() ? ZERO : cash);
}

/** What an increase may move: value − target, scaled pro rata when the reserve after decreases cannot pay every increase, in whole cents. */
function increaseAllowed(want: Dec, wanted: Dec, available: Dec): Dec {
  const scale = wanted.gt(available) && !wanted.isZero() ? available.div(wanted) : new Dec(1);
  const amount = want.times(scale).toNearest(CENT, Dec.ROUND_DOWN);
  return amount.isNegative() ? ZERO : amount;
}
