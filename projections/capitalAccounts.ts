// The capital accounts every projection shares: reserve and strategy values between marks, lifetime flows, and per-mark strategy returns net of transfers.
import { Dec, ZERO } from '../src/money/decimal.js';
import { RESERVE, type LifecycleState } from '../events/catalogue.js';
import type { RecordedEvent } from '../events/envelope.js';

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
  readonly lastMarkTime: string | null;
}

/** Accounts before the first event. */
export function emptyAccounts(): CapitalAccounts {
  return { portfolioId: null, totalCapital: ZERO, reserve: ZERO, strategies: new Map(), portfolioValue: ZERO, lastMarkTime: null };
}

/** What one event did to the accounts; `returns` is set for a BarMarked (strategy id → simple return of that mark). */
export interface AccountsStep {
  readonly accounts: CapitalAccounts;
  readonly returns: ReadonlyMap<string, number> | null;
  /** Portfolio return of the mark: value / previous value − 1 (no money enters or leaves the portfolio). */
  readonly portfolioReturn: number | null;
}

/**
 * Folds one event into the accounts. A strategy's return at a mark is r = V_t / (V_{t−1} + net transfers since) − 1,
 * so moving capital is never a return; at its first mark V_{t−1} + transfers is the capital that funded it.
 * No return is recorded when that base is not positive (a strategy holding nothing has no return).
 * `withReturns` false skips the (Decimal division) returns for folds that only need balances.
 */
export function evolveAccounts(accounts: CapitalAccounts, event: RecordedEvent, withReturns = true): AccountsStep {
  switch (event.type) {
    case 'PortfolioOpened': {
      const total = new Dec(event.data.totalCapital);
      return step({ ...accounts, portfolioId: event.data.portfolioId, totalCapital: total, reserve: total, portfolioValue: total });
    }
    case 'StrategyAdded': {
      const strategies = new Map(accounts.strategies);
      strategies.set(event.data.strategyId, {
        value: ZERO,
        netFlowIn: ZERO,
        lifecycle: 'initializing',
        removed: false,
        marked: false,
      });
      return step({ ...accounts, strategies });
    }
    case 'CapitalTransferred': {
      const amount = new Dec(event.data.amount);
      let reserve = accounts.reserve;
      const strategies = new Map(accounts.strategies);
      const move = (id: string, delta: Dec): void => {
        if (id === RESERVE) {
          reserve = reserve.plus(delta);
          return;
        }
        const a = strategies.get(id) ?? { value: ZERO, netFlowIn: ZERO, lifecycle: 'initializing', removed: false, marked: false };
        strategies.set(id, { ...a, value: a.value.plus(delta), netFlowIn: a.netFlowIn.plus(delta) });
      };
      move(event.data.from, amount.negated());
      move(event.data.to, amount);
      return step({ ...accounts, reserve, strategies });
    }
    case 'StrategyLifecycleChanged': {
      const a = accounts.strategies.get(event.data.strategyId);
      if (!a) return step(accounts);
      const strategies = new Map(accounts.strategies);
      strategies.set(event.data.strategyId, { ...a, lifecycle: event.data.to });
      return step({ ...accounts, strategies });
    }
    case 'StrategyRemoved': {
      const a = accounts.strategies.get(event.data.strategyId);
      if (!a) return step(accounts);
      const strategies = new Map(accounts.strategies);
      strategies.set(event.data.strategyId, { ...a, removed: true, lifecycle: 'stopped' });
      return step({ ...accounts, strategies });
    }
    case 'BarMarked': {
      const strategies = new Map(accounts.strategies);
      const returns = new Map<string, number>();
      for (const id of Object.keys(event.data.strategyValues).sort()) {
        const value = new Dec(event.data.strategyValues[id] as string);
        const a = strategies.get(id) ?? { value: ZERO, netFlowIn: ZERO, lifecycle: 'running', removed: false, marked: false };
        if (withReturns && a.value.greaterThan(0)) returns.set(id, value.div(a.value).minus(1).toNumber());
        strategies.set(id, { ...a, value, marked: true });
      }
      const portfolioValue = new Dec(event.data.portfolioValue);
      const portfolioReturn = withReturns && accounts.portfolioValue.greaterThan(0)
        ? portfolioValue.div(accounts.portfolioValue).minus(1).toNumber()
        : null;
      return {
        accounts: { ...accounts, strategies, portfolioValue, lastMarkTime: event.metadata.barTime },
        returns,
        portfolioReturn,
      };
    }
    default:
      return step(accounts);
  }
}

function step(accounts: CapitalAccounts): AccountsStep {
  return { accounts, returns: null, portfolioReturn: null };
}

/** Strategy ids that are added and not removed, ascending. */
export function activeStrategyIds(accounts: CapitalAccounts): string[] {
  return [...accounts.strategies.entries()].filter(([, a]) => !a.removed).map(([id]) => id).sort();
}
