// The strategy actor: one strategy's lifecycle and its own ledger; runs the strategy's code and never sees another ledger.
import { assign, setup } from 'xstate';
import type { LifecycleState } from '../events/catalogue.js';
import type { BarSlice } from '../src/market/bar.js';
import type { LedgerState } from '../src/ledger/types.js';
import type { PriceHistory, Strategy } from '../src/strategy/strategy.js';
import type { Dec } from '../src/money/decimal.js';
import type { SizerFactory } from '../src/sizing/sizerSpec.js';
import { evolveLedger, type LedgerEvent } from '../src/ledger/ledger.js';
import { runStrategyCall, type StrategyCallOutcome } from '../src/strategy/strategyCall.js';

export type { StrategyCallOutcome };

/** What a strategy actor is built with (also what recovery restores). */
export interface StrategyActorInput {
  readonly strategyId: string;
  readonly strategy: Strategy;
  readonly params: Readonly<Record<string, unknown>>;
  readonly ledger: LedgerState;
  /** Builds the strategy's position sizer for a call, when its config names one. */
  readonly sizerFactory?: SizerFactory;
}

/** The strategy actor's context. */
export interface StrategyActorContext extends StrategyActorInput {
  readonly lastCall: StrategyCallOutcome;
}

/** Everything a strategy needs for one call, supplied by the supervisor. */
export interface StrategyCallInput {
  readonly slice: BarSlice;
  readonly barIndex: number;
  readonly history: PriceHistory;
  readonly markOf: (symbol: string) => Dec | undefined;
}

/** Events the strategy actor accepts. */
export type StrategyActorEvent =
  | ({ readonly type: 'INIT' } & StrategyCallInput)
  | ({ readonly type: 'BAR' } & StrategyCallInput)
  | { readonly type: 'LEDGER'; readonly events: readonly LedgerEvent[] }
  | { readonly type: 'START' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'LIQUIDATE' }
  | { readonly type: 'STOP' };

const NO_CALL: StrategyCallOutcome = { ok: true, intents: [] };

/** The lifecycle event that moves a strategy from one state to another. */
export function lifecycleEventFor(to: LifecycleState): StrategyActorEvent['type'] | null {
  switch (to) {
    case 'running':
      return 'START';
    case 'paused':
      return 'PAUSE';
    case 'liquidating':
      return 'LIQUIDATE';
    case 'stopped':
      return 'STOP';
    default:
      return null;
  }
}

const callStrategy = (phase: 'init' | 'onBar') =>
  assign<StrategyActorContext, StrategyActorEvent, undefined, StrategyActorEvent, never>({
    lastCall: ({ context, event }) => {
      if (event.type !== 'BAR' && event.type !== 'INIT') return NO_CALL;
      return runStrategyCall(phase, context.strategy, {
        strategyId: context.strategyId,
        params: context.params,
        ledger: context.ledger,
        slice: event.slice,
        barIndex: event.barIndex,
        history: event.history,
        markOf: event.markOf,
        ...(context.sizerFactory ? { sizer: context.sizerFactory(event.history) } : {}),
      });
    },
  });

const applyLedger = assign<StrategyActorContext, StrategyActorEvent, undefined, StrategyActorEvent, never>({
  ledger: ({ context, event }) => (event.type === 'LEDGER' ? event.events.reduce(evolveLedger, context.ledger) : context.ledger),
});

/**
 * initializing → running ⇄ paused → liquidating → stopped. Nothing leaves `stopped`.
 * Only a running strategy's code is called on a bar; ledger events apply in every state but `stopped`.
 */
export const strategyMachine = setup({
  types: {
    context: {} as StrategyActorContext,
    events: {} as StrategyActorEvent,
    input: {} as StrategyActorInput,
  },
  actions: {
    callInit: callStrategy('init'),
    callOnBar: callStrategy('onBar'),
    applyLedger,
    clearCall: assign({ lastCall: () => NO_CALL }),
  },
}).createMachine({
  id: 'strategy',
  initial: 'initializing',
  context: ({ input }) => ({ ...input, lastCall: NO_CALL }),
  on: { LEDGER: { actions: 'applyLedger' } },
  states: {
    initializing: {
      on: {
        INIT: { actions: 'callInit' },
        START: 'running',
        PAUSE: 'paused',
        LIQUIDATE: 'liquidating',
        STOP: 'stopped',
      },
    },
    running: {
      on: {
        BAR: { actions: 'callOnBar' },
        PAUSE: 'paused',
        LIQUIDATE: 'liquidating',
        STOP: 'stopped',
      },
    },
    paused: {
      entry: 'clearCall',
      on: { RESUME: 'running', START: 'running', LIQUIDATE: 'liquidating', STOP: 'stopped' },
    },
    liquidating: {
      entry: 'clearCall',
      on: { STOP: 'stopped' },
    },
    stopped: {
      type: 'final',
      entry: 'clearCall',
    },
  },
});
