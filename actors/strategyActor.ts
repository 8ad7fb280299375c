// The strategy actor: one strategy's lifecycle and its own ledger; runs the strategy's code and never sees another ledger.
import { assign, setup, type Actor } from 'xstate';
import type { LifecycleState } from '../events/catalogue.js';
import type { BarSlice } from '../src/market/bar.js';
import type { LedgerState } from '../src/ledger/types.js';
import type { PriceHistory, Strategy } from '../src/strategy/strategy.js';
import type { Dec } from '../src/money/decimal.js';
import type { SizerFactory } from '../src/sizing/sizerSpec.js';
import { evolveLedgerAll, type LedgerEvent } from '../src/ledger/ledger.js';
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

/** The strategy actor's context: what it was built with, its ledger kept current by LEDGER events. */
export type StrategyActorContext = StrategyActorInput;

/** Everything a strategy needs for one call, supplied by the supervisor. */
export interface StrategyCallInput {
  readonly slice: BarSlice;
  readonly barIndex: number;
  readonly history: PriceHistory;
  readonly markOf: (symbol: string) => Dec | undefined;
}

/** Events the strategy actor accepts: ledger changes and lifecycle moves. */
export type StrategyActorEvent =
  | { readonly type: 'LEDGER'; readonly events: readonly LedgerEvent[] }
  | { readonly type: 'START' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'LIQUIDATE' }
  | { readonly type: 'STOP' };

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

const applyLedger = assign<StrategyActorContext, StrategyActorEvent, undefined, StrategyActorEvent, never>({
  ledger: ({ context, event }) => (event.type === 'LEDGER' ? evolveLedgerAll(context.ledger, event.events) : context.ledger),
});

/**
 * initializing → running ⇄ paused → liquidating → stopped. Nothing leaves `stopped`.
 * Ledger events apply in every state but `stopped`; {@link callStrategy} runs the strategy's code only in the state that allows it.
 */
export const strategyMachine = setup({
  types: {
    context: {} as StrategyActorContext,
    events: {} as StrategyActorEvent,
    input: {} as StrategyActorInput,
  },
  actions: { applyLedger },
}).createMachine({
  id: 'strategy',
  initial: 'initializing',
  context: ({ input }) => ({ ...input }),
  on: { LEDGER: { actions: 'applyLedger' } },
  states: {
    initializing: {
      on: {
        START: 'running',
        PAUSE: 'paused',
        LIQUIDATE: 'liquidating',
        STOP: 'stopped',
      },
    },
    running: {
      on: {
        PAUSE: 'paused',
        LIQUIDATE: 'liquidating',
        STOP: 'stopped',
      },
    },
    paused: {
      on: { RESUME: 'running', START: 'running', LIQUIDATE: 'liquidating', STOP: 'stopped' },
    },
    liquidating: {
      on: { STOP: 'stopped' },
    },
    stopped: {
      type: 'final',
    },
  },
});

/** The running strategy actor. */
export type StrategyActor = Actor<typeof strategyMachine>;

/**
 * Runs the actor's strategy code against the ledger the actor holds: `init` while initializing, `onBar` while running.
 * A call changes nothing in the actor (its orders go to the supervisor), so it reads the actor's snapshot instead of
 * being an event: a statechart transition per strategy per bar cost more than most strategies' onBar.
 * Returns null when the actor's state does not allow the call (a paused, liquidating or stopped strategy's code is not run).
 */
export function callStrategy(actor: StrategyActor, phase: 'init' | 'onBar', input: StrategyCallInput): StrategyCallOutcome | null {
  const snapshot = actor.getSnapshot();
  if (snapshot.value !== (phase === 'init' ? 'initializing' : 'running')) return null;
  const { context } = snapshot;
  return runStrategyCall(phase, context.strategy, {
    strategyId: context.strategyId,
    params: context.params,
    ledger: context.ledger,
    slice: input.slice,
    barIndex: input.barIndex,
    history: input.history,
    markOf: input.markOf,
    ...(context.sizerFactory ? { sizer: context.sizerFactory(input.history) } : {}),
  });
}
