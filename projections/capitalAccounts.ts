// The capital accounts every projection shares: reserve and strategy values between marks, lifetime flows, and per-mark strategy returns net of transfers.
import { Dec, ZERO } from '../src/money/decimal.js';
import { transferBeforeExecution, type LifecycleState } from '../events/catalogue.js';
import { transferNeutralReturn } from '../src/performance/strategyPerformance.js';
import { capitalLegs } from './capitalMoves.js';
import type { RecordedEvent } from '../events/envelope.js';
import { CHECKPOINT_FORM, type WithCheckpointForm } from './projection.js';

/** One strategy's account. */
export interface StrategyAccount {
  /** Latest value: the last BarMarked value plus transfers since (before its first mark: the capital that funded it). */
  readonly value: Dec;
  /** Net capital transferred in over its life (in − out). */
  readonly netFlowIn: Dec;
  readonly lifecycle: LifecycleState;
  readonly removed: boolean;
  /** Whether a BarMarked has valued it yet. */
  readonly marked: boolean;
  /** `value` as the nearest binary number (a statistic, so a number is enough). */
  readonly valueNumber: number;
  /** Net capital moved since the last mark before the slice's execution, and after it (see transferBeforeExecution). */
  readonly flowBefore: Dec;
  readonly flowAfter: Dec;
}

/** Capital of the portfolio as the log says it is. */
export interface CapitalAccounts {
  readonly portfolioId: string | null;
  readonly totalCapital: Dec;
  readonly reserve: Dec;
  /** Accounts by strategy id (removed strategies stay, with value 0 once their capital went back). */
  readonly strategies: ReadonlyMap<string, StrategyAccount>;
  /** Portfolio value at the last BarMarked (total capital before any). */
  readonly portfolioValue: Dec;
  /** `portfolioValue` as the nearest binary number, the base of the next portfolio return. */
  readonly portfolioValueNumber: number;
  readonly lastMarkTime: string | null;
}

// One shared, frozen empty value.
const EMPTY_ACCOUNTS: CapitalAccounts = Object.freeze({
  portfolioId: null,
  totalCapital: ZERO,
  reserve: ZERO,
  strategies: new Map<string, StrategyAccount>(),
  portfolioValue: ZERO,
  portfolioValueNumber: 0,
  lastMarkTime: null,
});

/** Accounts before the first event (one shared, never-mutated value). */
export function emptyAccounts(): CapitalAccounts {
  return EMPTY_ACCOUNTS;
}

const newAccount = (lifecycle: LifecycleState): StrategyAccount => ({
  value: ZERO,
  netFlowIn: ZERO,
  lifecycle,
  removed: false,
  marked: false,
  valueNumber: 0,
  flowBefore: ZERO,
  flowAfter: ZERO,
});

/** What one event did to the accounts; `returns` is set for a BarMarked (strategy id → simple return of that mark). */
export interface AccountsStep {
  readonly accounts: CapitalAccounts;
  /** Returns of the mark by strategy id, in ascending id order. */
  readonly returns: ReadonlyMap<string, number> | null;
  /** Profit or loss in money of each strategy that has a return: V_t − (V_{t−1} + net transfers since). */
  readonly pnl: ReadonlyMap<string, number> | null;
  /** Portfolio return of the mark: value / previous value − 1 (no money enters or leaves the portfolio). */
  readonly portfolioReturn: number | null;
  /** Portfolio profit or loss of the mark in money: value − previous value. */
  readonly portfolioPnl: number | null;
}

/**
 * Folds one event into the accounts (pure: no state outside its arguments). A strategy's return at a mark is the
 * engine's (transferNeutralReturn): r = (V_t − T_after) / (V_{t−1} + T_before) − 1, with the transfers since the last
 * mark split by whether they came before the slice's execution or after it, so moving capital is never a return; at its
 * first mark V_{t−1} + T_before is the capital that funded it. No return is recorded when that base is not positive
 * (a strategy holding nothing has no return). Balances are exact Decimals; returns and P&L are numbers (statistics), computed in binary
 * from the exact values' nearest doubles.
 */
export function evolveAccounts(accounts: CapitalAccounts, event: RecordedEvent): AccountsStep {
  switch (event.type) {
    case 'PortfolioOpened': {
      const total = new Dec(event.data.totalCapital);
      return step({
        ...accounts,
        portfolioId: event.data.portfolioId,
        totalCapital: total,
        reserve: total,
        portfolioValue: total,
        portfolioValueNumber: total.toNumber(),
      });
    }
    case 'StrategyAdded': {
      const strategies = new Map(accounts.strategies);
      strategies.set(event.data.strategyId, newAccount('initializing'));
      return step({ ...accounts, strategies });
    }
    case 'CapitalTransferred': {
      let reserve = accounts.reserve;
      const strategies = new Map(accounts.strategies);
      const before = transferBeforeExecution(event.data.reason);
      for (const leg of capitalLegs(event.data)) {
        if (leg.isReserve) {
          reserve = reserve.plus(leg.delta);
          continue;
        }
        const a = strategies.get(leg.account) ?? newAccount('initializing');
        const value = a.value.plus(leg.delta);
        const flows = before ? { flowBefore: a.flowBefore.plus(leg.delta) } : { flowAfter: a.flowAfter.plus(leg.delta) };
        strategies.set(leg.account, accountWith(a, { value, netFlowIn: a.netFlowIn.plus(leg.delta), valueNumber: value.toNumber(), ...flows }));
      }
      return step({ ...accounts, reserve, strategies });
    }
    case 'StrategyLifecycleChanged': {
      const a = accounts.strategies.get(event.data.strategyId);
      if (!a) return step(accounts);
      const strategies = new Map(accounts.strategies);
      strategies.set(event.data.strategyId, accountWith(a, { lifecycle: event.data.to }));
      return step({ ...accounts, strategies });
    }
    case 'StrategyRemoved': {
      const a = accounts.strategies.get(event.data.strategyId);
      if (!a) return step(accounts);
      const strategies = new Map(accounts.strategies);
      // The engine returns a removed strategy's whole value to the reserve, so its account is exactly empty: the P&L of
      // its last slice (its sales) is already in what it transferred, and no later BarMarked values it.
      strategies.set(event.data.strategyId, accountWith(a, { removed: true, lifecycle: 'stopped', value: ZERO, valueNumber: 0 }));
      return step({ ...accounts, strategies });
    }
    case 'BarMarked': {
      const strategies = new Map(accounts.strategies);
      const returns = new Map<string, number>();
      const pnl = new Map<string, number>();
      const values = event.data.strategyValues;
      const visit = (id: string, text: string): void => {
        const valueNumber = Number(text);
        const a = strategies.get(id) ?? newAccount('running');
        const bar = barReturn(a, valueNumber);
        if (bar !== null) {
          returns.set(id, bar.r);
          pnl.set(id, bar.pnl);
        }
        strategies.set(id, markedAccount(a, text, valueNumber));
      };
      // Ascending ids, so `returns` lists them in order (correlation relies on it to find its pairs once). Canonical
      // JSON already lists them so: for-in then reads each value without a key array or a generic keyed lookup.
      if (keysAscend(values)) {
        for (const id in values) visit(id, values[id] as string);
      } else {
        for (const id of Object.keys(values).sort()) visit(id, values[id] as string);
      }
      const portfolioValueNumber = Number(event.data.portfolioValue);
      const funded = accounts.portfolioValueNumber > 0;
      return {
        accounts: markedAccounts(accounts, strategies, event.data.portfolioValue, portfolioValueNumber, event.metadata.barTime),
        returns,
        pnl,
        portfolioReturn: funded ? portfolioValueNumber / accounts.portfolioValueNumber - 1 : null,
        portfolioPnl: funded ? portfolioValueNumber - accounts.portfolioValueNumber : null,
      };
    }
    default:
      return step(accounts);
  }
}

/** The account's return at a mark that values it at `valueNumber`, from the same numbers the engine's fold uses. */
function barReturn(a: StrategyAccount, valueNumber: number): ReturnType<typeof transferNeutralReturn> {
  // Most marks follow no transfer: the value is then the last mark's.
  if (a.flowBefore.isZero() && a.flowAfter.isZero()) return transferNeutralReturn(a.valueNumber, valueNumber, 0, 0);
  const lastMark = a.value.minus(a.flowBefore).minus(a.flowAfter).toNumber();
  return transferNeutralReturn(lastMark, valueNumber, a.flowBefore.toNumber(), a.flowAfter.toNumber());
}

// Literal objects, not spreads with overrides: V8 builds these in one step (the spread form was the hot spot of a mark).

/** The account with some fields changed, as a plain object. */
function accountWith(a: StrategyAccount, changes: Partial<StrategyAccount>): StrategyAccount {
  return {
    value: changes.value ?? a.value,
    netFlowIn: changes.netFlowIn ?? a.netFlowIn,
    lifecycle: changes.lifecycle ?? a.lifecycle,
    removed: changes.removed ?? a.removed,
    marked: changes.marked ?? a.marked,
    valueNumber: changes.valueNumber ?? a.valueNumber,
    flowBefore: changes.flowBefore ?? a.flowBefore,
    flowAfter: changes.flowAfter ?? a.flowAfter,
  };
}

/**
 * An account valued at a mark. A mark's Decimal values are read only when money moves (a transfer), for a view, or for
 * a checkpoint, so a replay reads few of them: the value is kept as the mark's text and parsed on first read (then
 * remembered). A class, because an object literal with a getter costs V8 more to build than the parse it saves; it
 * checkpoints as the plain account it reads as. (Lazy mark values, safe-integer fills and in-place folds together took
 * the rebuild's fold from 13.8–16.4 to 2.1–2.4 µs per event: docs/projections.md.)
 */
class MarkedAccount implements StrategyAccount, WithCheckpointForm {
  private parsed: Dec | undefined = undefined;
  readonly marked = true;
  readonly flowBefore = ZERO;
  readonly flowAfter = ZERO;

  constructor(
    private readonly text: string,
    readonly netFlowIn: Dec,
    readonly lifecycle: LifecycleState,
    readonly removed: boolean,
    readonly valueNumber: number,
  ) {}

  get value(): Dec {
    this.parsed ??= new Dec(this.text);
    return this.parsed;
  }

  [CHECKPOINT_FORM](): StrategyAccount {
    return accountWith(this, {});
  }
}

/** The account valued at a mark. */
function markedAccount(a: StrategyAccount, text: string, valueNumber: number): StrategyAccount {
  return new MarkedAccount(text, a.netFlowIn, a.lifecycle, a.removed, valueNumber);
}

/** The accounts after a mark. */
function markedAccounts(
  accounts: CapitalAccounts,
  strategies: ReadonlyMap<string, StrategyAccount>,
  portfolioText: string,
  portfolioValueNumber: number,
  lastMarkTime: string | null,
): CapitalAccounts {
  return {
    portfolioId: accounts.portfolioId,
    totalCapital: accounts.totalCapital,
    reserve: accounts.reserve,
    strategies,
    portfolioValue: new Dec(portfolioText),
    portfolioValueNumber,
    lastMarkTime,
  };
}

/** Whether the record's keys, in iteration order, ascend. */
function keysAscend(record: Readonly<Record<string, string>>): boolean {
  let previous: string | null = null;
  for (const id in record) {
    if (previous !== null && !(previous < id)) return false;
    previous = id;
  }
  return true;
}

function step(accounts: CapitalAccounts): AccountsStep {
  return { accounts, returns: null, pnl: null, portfolioReturn: null, portfolioPnl: null };
}

/** Strategy ids that are added and not removed, ascending. */
export function activeStrategyIds(accounts: CapitalAccounts): string[] {
  return [...accounts.strategies.entries()].filter(([, a]) => !a.removed).map(([id]) => id).sort();
}
