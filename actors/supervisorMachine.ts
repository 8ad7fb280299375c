// The portfolio supervisor's lifecycle: one slice at a time — decided, then durably appended, then the next.
import { assign, fromPromise, setup } from 'xstate';
import type { EventStore, AppendResult } from '../events/store.js';
import type { SealedEvent } from '../events/envelope.js';

/** What the supervisor machine is built with. */
export interface SupervisorInput {
  readonly store: EventStore;
  readonly stream: string;
}

/** The supervisor machine's context. */
export interface SupervisorContext extends SupervisorInput {
  readonly slices: number;
  readonly lastAppend: AppendResult | null;
  readonly error: unknown;
}

/** Events the supervisor machine accepts. */
export type SupervisorEvent =
  | { readonly type: 'COMMIT'; readonly events: readonly SealedEvent[]; readonly expectedRevision: number | 'no_stream' }
  | { readonly type: 'HALT'; readonly error: unknown }
  | { readonly type: 'CLOSE' };

/**
 * ready → committing (append of one slice's events with the exact expected revision) → ready;
 * a failed append or a failed slice halts the supervisor: the portfolio must be reopened from its log.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    appendSlice: fromPromise<AppendResult, { store: EventStore; stream: string; events: readonly SealedEvent[]; expectedRevision: number | 'no_stream' }>(
      ({ input }) => input.store.append(input.stream, input.events, { expectedRevision: input.expectedRevision }),
    ),
  },
}).createMachine({
  id: 'supervisor',
  initial: 'ready',
  context: ({ input }) => ({ ...input, slices: 0, lastAppend: null, error: null }),
  states: {
    ready: {
      on: {
        COMMIT: 'committing',
        HALT: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
        CLOSE: 'closed',
      },
    },
    committing: {
      invoke: {
        src: 'appendSlice',
        input: ({ context, event }) => {
          const commit = event as Extract<SupervisorEvent, { type: 'COMMIT' }>;
          return { store: context.store, stream: context.stream, events: commit.events, expectedRevision: commit.expectedRevision };
        },
        onDone: { target: 'ready', actions: assign({ slices: ({ context }) => context.slices + 1, lastAppend: ({ event }) => event.output }) },
        onError: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    halted: { on: { CLOSE: 'closed' } },
    closed: { type: 'final' },
  },
});
