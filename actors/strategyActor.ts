// The strategy actor: one strategy's lifecycle and ledger (its book, folded from its own events) and its code, run when asked.
import { fromTransition, setup, assign, emit, type ActorRefFrom } from 'xstate';
import type { BarSlice } from '../src/market/bar.js';
import type { OrderIntent, PriceHistory, Strategy } from '../src/strategy/strategy.js';
import type { Dec } from '../src/money/decimal.js';
import type { SizerFactory } from '../src/sizing/sizerSpec.js';
import { runStrategyCall, type StrategyCallOutcome } from '../src/strategy/strategyCall.js';
import { evolveBook, initialBook, type BookEvent, type StrategyBook } from '../src/portfolio/strategyBook.js';
import type { LifecycleState } from '../events/catalogue.js';

export type { StrategyCallOutcome };

/** What a strategy actor is built with (recovery passes the book a snapshot held). */
export interface StrategyActorInput {
  readonly strategyId: string;
  readonly strategy: Strategy;
  readonly params: Readonly<Record<string, unknown>>;
  /** Builds the strategy's position sizer for a call, when its config names one. */
  readonly sizerFactory?: SizerFactory;
  readonly book?: StrategyBook;
}

/** The strategy actor's state: what it was built with and its book. */
export interface StrategyActorState {
  readonly strategyId: string;
  readonly strategy: Strategy;
  readonly params: Readonly<Record<string, unknown>>;
  readonly sizerFactory: SizerFactory | undefined;
  readonly book: StrategyBook;
  /** Why the last BOOK could not be folded (the book is then the one before it); absent while every fold succeeded. */
  readonly refused?: unknown;
}

/** Everything a strategy needs for one call, supplied by the supervisor. */
export interface StrategyCallInput {
  readonly slice: BarSlice;
  readonly barIndex: number;
  readonly history: PriceHistory;
  readonly markOf: (symbol: string) => Dec | undefined;
  /** Each strategy's value at these marks, by strategy id (absent: its ledger is valued with `markOf`). */
  readonly strategyValueOf?: (strategyId: string) => Dec;
  /** Each strategy's accepted orders waiting to fill (next-open), by strategy id. */
  readonly pendingOf?: (strategyId: string) => readonly OrderIntent[];
  /** Net capital moved to or from each strategy since its previous call, by strategy id. */
  readonly capitalMovedOf?: (strategyId: string) => Dec;
}

/** Messages a strategy actor accepts: its own events (to fold into its book) and a request to run its code. */
export type StrategyActorEvent =
  | { readonly type: 'BOOK'; readonly events: readonly BookEvent[] }
  | ({ readonly type: 'CALL'; readonly phase: 'init' | 'onBar' } & StrategyCallInput);

/** The reply to CALL: the call's outcome, or null when the lifecycle does not allow the call (nothing was run). */
export interface StrategyCallReply {
  readonly type: 'outcome';
  readonly strategyId: string;
  readonly outcome: StrategyCallOutcome | null;
}

/** The lifecycle state in which each call may run: `init` while initializing, `onBar` while running. */
const CALLABLE_IN: Readonly<Record<'init' | 'onBar', LifecycleState>> = { init: 'initializing', onBar: 'running' };

function initialState(input: StrategyActorInput): StrategyActorState {
  return {
    strategyId: input.strategyId,
    strategy: input.strategy,
    params: input.params,
    sizerFactory: input.sizerFactory,
    book: input.book ?? initialBook(input.strategyId),
  };
}

/** Runs the strategy's code for a CALL, when its lifecycle allows it; the code sees a read-only copy of its own ledger. */
function answerCall(state: StrategyActorState, call: Extract<StrategyActorEvent, { type: 'CALL' }>): StrategyCallReply {
  if (state.book.lifecycle !== CALLABLE_IN[call.phase]) return { type: 'outcome', strategyId: state.strategyId, outcome: null };
  const outcome = runStrategyCall(call.phase, state.strategy, {
    strategyId: state.strategyId,
    params: state.params,
    ledger: state.book.ledger,
    slice: call.slice,
    barIndex: call.barIndex,
    history: call.history,
    markOf: call.markOf,
    strategyValueOf: call.strategyValueOf,
    sizer: state.sizerFactory?.(call.history),
    pendingOrders: call.pendingOf?.(state.strategyId),
    capitalMoved: call.capitalMovedOf?.(state.strategyId),
  });
  return { type: 'outcome', strategyId: state.strategyId, outcome };
}

/**
 * The strategy actor as XState transition logic: the lifecycle is the pure table of src/portfolio/strategyLifecycle.ts
 * (applied by evolveBook), and a CALL is answered with an emitted `outcome`. Chosen over the statechart below because a
 * bar's CALL costs it about a third as much (see docs/engine.md, "Strategy actor logic").
 */
export const strategyLogic = fromTransition<StrategyActorState, StrategyActorEvent, never, StrategyActorInput, StrategyCallReply>(
  (state, event, scope) => {
    if (event.type === 'BOOK') {
      let book: StrategyBook;
      try {
        book = evolveBook(state.book, event.events);
      } catch (error) {
        // Kept for the supervisor to throw: an actor that threw would stop in error and take its parent down with it,
        // outside any call the supervisor could catch.
        return { ...state, refused: error };
      }
      return book === state.book ? state : { ...state, book };
    }
    scope.emit(answerCall(state, event));
    return state;
  },
  ({ input }) => initialState(input),
);

/** A running strategy actor. */
export type StrategyActorRef = ActorRefFrom<typeof strategyLogic>;

/**
 * The same actor as a statechart (initializing → running ⇄ paused → liquidating → stopped; nothing leaves stopped), kept to
 * measure against {@link strategyLogic} (bench/strategyActor.bench.ts) and as the lifecycle's picture; the engine uses
 * the transition logic. Lifecycle moves arrive as the strategy's own StrategyLifecycleChanged events in BOOK.
 */
export const strategyMachine = setup({
  types: {
    context: {} as StrategyActorState,
    events: {} as StrategyActorEvent,
    input: {} as StrategyActorInput,
    emitted: {} as StrategyCallReply,
  },
  guards: {
    movesTo: ({ context, event }, to: LifecycleState) => event.type === 'BOOK' && evolveBook(context.book, event.events).lifecycle === to,
  },
  actions: {
    fold: assign({ book: ({ context, event }) => (event.type === 'BOOK' ? evolveBook(context.book, event.events) : context.book) }),
    answer: emit(({ context, event }) => answerCall(context, event as Extract<StrategyActorEvent, { type: 'CALL' }>)),
  },
}).createMachine({
  id: 'strategy',
  initial: 'initializing',
  context: ({ input }) => initialState(input),
  states: {
    initializing: {
      on: {
        BOOK: [
          { guard: { type: 'movesTo', params: 'running' }, target: 'running', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'paused' }, target: 'paused', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'liquidating' }, target: 'liquidating', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'stopped' }, target: 'stopped', actions: 'fold' },
          { actions: 'fold' },
        ],
        CALL: { actions: 'answer' },
      },
    },
    running: {
      on: {
        BOOK: [
          { guard: { type: 'movesTo', params: 'paused' }, target: 'paused', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'liquidating' }, target: 'liquidating', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'stopped' }, target: 'stopped', actions: 'fold' },
          { actions: 'fold' },
        ],
        CALL: { actions: 'answer' },
      },
    },
    paused: {
      on: {
        BOOK: [
          { guard: { type: 'movesTo', params: 'running' }, target: 'running', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'liquidating' }, target: 'liquidating', actions: 'fold' },
          { guard: { type: 'movesTo', params: 'stopped' }, target: 'stopped', actions: 'fold' },
          { actions: 'fold' },
        ],
        CALL: { actions: 'answer' },
      },
    },
    liquidating: {
      on: {
        BOOK: [{ guard: { type: 'movesTo', params: 'stopped' }, target: 'stopped', actions: 'fold' }, { actions: 'fold' }],
        CALL: { actions: 'answer' },
      },
    },
    // Nothing leaves stopped (no BOOK move is accepted); it still answers a CALL with "not run", as the transition logic does.
    stopped: { on: { BOOK: { actions: 'fold' }, CALL: { actions: 'answer' } } },
  },
});
