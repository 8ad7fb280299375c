// The portfolio supervisor as an XState actor: it spawns the strategy actors, takes slices (one at a time, a whole RxJS
// bar stream it consumes itself, or a live session's groups of slices), runs each through the decide steps, appends
// its events atomically, and halts on a failure.
import { assign, fromPromise, setup, spawnChild, type ActorRefFrom } from 'xstate';
import { type Observable, concatMap, from, lastValueFrom, defaultIfEmpty } from 'rxjs';
import type { EventStore, AppendResult, StreamAppend } from '../events/store.js';
import type { SealedEvent } from '../events/envelope.js';
import type { BarSlice } from '../src/market/bar.js';
import { strategyLogic, type StrategyActorInput } from './strategyActor.js';
import { DataError, describeValue } from '../src/errors.js';

/** One slice's work as the supervisor runs it: decide (synchronously, through the core) and return the events to append. */
export type SliceWork = (slice: BarSlice) => readonly SealedEvent[];

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

/** What a run reports per slice, after its events are durable. */
export type SliceDone = (slice: BarSlice, events: readonly SealedEvent[]) => void | Promise<void>;

/** A slice of a live session, with the writes to other streams committed in the same transaction just before its events. */
export interface LiveSlice {
  readonly slice: BarSlice;
  /** A live session's feed record of the slice: what recovery applies if the slice's own events are missing. */
  readonly before: readonly StreamAppend[];
}

/** @throws DataError when a live session's item is not `{ slice, before }` (a caller in plain JavaScript). */
function checkLiveSlice(item: unknown): asserts item is LiveSlice {
  if (item === null || typeof item !== 'object' || !Array.isArray((item as { before?: unknown }).before)) {
    throw new DataError(`follow: each item of a group must be { slice, before } with before an array of writes, got ${describeValue(item)}`);
  }
}

/** Events the supervisor machine accepts. */
export type SupervisorEvent =
  | { readonly type: 'SPAWN'; readonly input: StrategyActorInput }
  | { readonly type: 'COMMIT'; readonly events: readonly SealedEvent[]; readonly expectedRevision: number | 'no_stream' }
  | { readonly type: 'SLICE'; readonly slice: BarSlice; readonly work: SliceWork; readonly done: SliceDone; readonly expectedRevision: () => number | 'no_stream' }
  | {
      readonly type: 'RUN';
      readonly source: AsyncIterable<BarSlice> | Observable<BarSlice>;
      /** Decides whether a slice is skipped (already in the log); throws for one out of order. */
      readonly skip: (slice: BarSlice) => Promise<boolean>;
      readonly work: SliceWork;
      /**
       * Deciding in batches, when the portfolio was given a batch clock: `span` calls `next` (which decides one slice
       * and says whether another waits) until it returns false, in one sitting; `nextTurn` marks what a source had ready.
       */
      readonly batching?: { readonly span: (next: () => boolean) => void; readonly nextTurn: () => Promise<void> };
      readonly done: SliceDone;
      readonly expectedRevision: () => number | 'no_stream';
    }
  | {
      readonly type: 'FOLLOW';
      /** Groups of slices as a live session closes them; each group is committed in one transaction. */
      readonly groups: AsyncIterable<readonly LiveSlice[]>;
      readonly work: SliceWork;
      readonly done: (item: LiveSlice, events: readonly SealedEvent[]) => void | Promise<void>;
      readonly expectedRevision: () => number | 'no_stream';
    }
  | { readonly type: 'HALT'; readonly error: unknown }
  | { readonly type: 'CLOSE' };

/**
 * Slices a run commits together at most; the run decides the next group while one commits, so the engine does not
 * wait for a round trip to the writer thread per slice: the 100-strategy momentum run through `run` went from 42,578
 * to 47,495 strategy-bars/s (median of 8 interleaved runs; groups of 2 and 8 gave 41,561 and 44,944). More would hold
 * more decided events in memory for little.
 */
const COMMIT_GROUP = 32;

/** Slices a run decides ahead of the log at most: one group committing, one being decided. */
export const MAX_DECIDED_AHEAD = 2 * COMMIT_GROUP;

const WAITING = Symbol('waiting');

/**
 * Closes a source a run leaves before its end (a file reader releases its file), as `for await` does, except that what
 * `return()` throws does not replace the error the run ends with, and that it is not waited for while a pull is
 * pending: an async generator returns only after that pull, which may never come.
 */
async function leave(slices: AsyncIterator<BarSlice>, pullPending: boolean): Promise<void> {
  const closing = (async () => {
    await slices.return?.();
  })().catch(() => undefined);
  if (!pullPending) await closing;
}

/** A slice decided and waiting for its commit. */
interface DecidedSlice {
  readonly slice: BarSlice;
  readonly events: readonly SealedEvent[];
  readonly expectedRevision: number | 'no_stream';
}

type Append = (events: readonly SealedEvent[], expectedRevision: number | 'no_stream') => Promise<AppendResult | null>;

function appender(store: EventStore, stream: string): Append {
  return async (events, expectedRevision) => (events.length === 0 ? null : store.append(stream, events, { expectedRevision }));
}

/** One slice: decided, then appended with the exact expected revision; only then reported. */
async function runSlice(append: Append, slice: BarSlice, e: { work: SliceWork; done: SliceDone; expectedRevision: () => number | 'no_stream' }): Promise<AppendResult | null> {
  // The invoking transition must finish first: a slice may spawn strategy actors, which the supervisor does between transitions.
  await Promise.resolve();
  const expected = e.expectedRevision();
  const events = e.work(slice);
  const result = await append(events, expected);
  await e.done(slice, events);
  return result;
}

/**
 * ready → committing | slicing | streaming | following → ready; a failed slice or append halts the supervisor: the portfolio must be
 * reopened from its log. Strategy actors are its children, spawned by the registered name `strategy`.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    strategy: strategyLogic,
    appendEvents: fromPromise<AppendResult | null, { append: Append; events: readonly SealedEvent[]; expectedRevision: number | 'no_stream' }>(({ input }) =>
      input.append(input.events, input.expectedRevision),
    ),
    processSlice: fromPromise<AppendResult | null, { append: Append; event: Extract<SupervisorEvent, { type: 'SLICE' }> }>(({ input }) =>
      runSlice(input.append, input.event.slice, input.event),
    ),
    consumeStream: fromPromise<number, { store: EventStore; stream: string; event: Extract<SupervisorEvent, { type: 'RUN' }> }>(async ({ input }) => {
      const { event, store, stream } = input;
      let processed = 0;
      // Pipelined with group commit: slices are decided while the slices before them commit, and the slices decided
      // during one commit share the next (one transaction, each slice's events a write of their own with its exact
      // expected revision). Commits are chained, so slice N+1 is never appended before slice N; a slice is reported
      // only once durable; a failed commit ends the stream (the supervisor halts: the state decided past the log is
      // discarded by reopening). At most MAX_DECIDED_AHEAD slices wait to be durable: one group commits while the next is decided.
      let queued: DecidedSlice[] = [];
      let committing: Promise<void> | null = null;
      let failure: { readonly error: unknown } | null = null;
      const commit = async (group: readonly DecidedSlice[]): Promise<void> => {
        const writes = group.filter((d) => d.events.length > 0).map((d) => ({ stream, events: d.events, expectedRevision: d.expectedRevision }));
        if (writes.length > 0) await store.appendMany(writes);
        for (const d of group) {
          await event.done(d.slice, d.events);
          processed += 1;
        }
      };
      const pump = (): void => {
        if (committing !== null || queued.length === 0 || failure !== null) return;
        const group = queued.slice(0, COMMIT_GROUP);
        queued = queued.slice(COMMIT_GROUP);
        committing = commit(group).then(
          () => {
            committing = null;
            pump();
          },
          (error: unknown) => {
            failure ??= { error };
            committing = null;
          },
        );
      };
      const settled = async (): Promise<void> => {
        while (committing !== null) await committing;
        if (failure !== null) throw failure.error;
      };
      const handle = async (slice: BarSlice): Promise<void> => {
        if (failure !== null) throw failure.error;
        if (await event.skip(slice)) return;
        // The invoking transition must finish first: a slice may spawn strategy actors, which the supervisor does between transitions.
        await Promise.resolve();
        const expectedRevision = event.expectedRevision();
        const events = event.work(slice);
        queued.push({ slice, events, expectedRevision });
        pump();
        while (queued.length >= COMMIT_GROUP && committing !== null) await committing;
      };
      // A pulled source's slices are decided in batches: those it yields without waiting for input (a file's parsed
      // chunk), up to a commit group with what waits for a commit, decided in one sitting so that strategy modules
      // share one watchdog span instead of starting a watchdog thread per slice.
      const decideBatch = async (batching: NonNullable<typeof event.batching>, batch: readonly BarSlice[]): Promise<void> => {
        if (failure !== null) throw failure.error;
        let i = 0;
        try {
          // Only deciding runs under the span's watchdog: the commit starts after it, with the batch's slices together.
          batching.span(() => {
            const slice = batch[i] as BarSlice;
            i += 1;
            const expectedRevision = event.expectedRevision();
            queued.push({ slice, events: event.work(slice), expectedRevision });
            return i < batch.length;
          });
        } finally {
          // Also when a slice failed: the slices decided before it continue the log validly.
          pump();
        }
        while (queued.length >= COMMIT_GROUP && committing !== null) await committing;
      };
      const pullBatches = async (batching: NonNullable<typeof event.batching>, source: AsyncIterable<BarSlice>): Promise<void> => {
        const slices = source[Symbol.asyncIterator]();
        let pulled: Promise<IteratorResult<BarSlice>> | null = null;
        // As `for await`: a source that failed is not closed; one left for another reason is.
        let sourceFailed = false;
        const pull = (): Promise<IteratorResult<BarSlice>> => {
          const p = slices.next();
          p.catch(() => {
            sourceFailed = true;
          });
          return p;
        };
        try {
          // The invoking transition must finish first: a slice may spawn strategy actors, which the supervisor does between transitions.
          await Promise.resolve();
          for (;;) {
            const batch: BarSlice[] = [];
            let next = await (pulled ?? pull());
            pulled = null;
            // The batch takes the slices the source has ready before the event loop's next turn.
            const turn = batching.nextTurn().then((): typeof WAITING => WAITING);
            while (!next.done) {
              if (!(await event.skip(next.value))) batch.push(next.value);
              if (batch.length + queued.length >= COMMIT_GROUP) break;
              pulled = pull();
              const ready = await Promise.race([pulled, turn]);
              if (ready === WAITING) break;
              pulled = null;
              next = ready;
            }
            if (batch.length > 0) await decideBatch(batching, batch);
            if (next.done) return;
          }
        } catch (error) {
          if (!sourceFailed) await leave(slices, pulled !== null);
          throw error;
        }
      };
      try {
        // Pull when the source can be pulled (files, BarStream): at most MAX_DECIDED_AHEAD slices are read past the last durable one.
        if (Symbol.asyncIterator in event.source) {
          // With a store whose appends complete within the call, each slice is reported (onSlice) before the next is
          // decided: a command given in onSlice applies at the next slice, which deciding ahead would change. A store
          // that appends off the engine thread is worth deciding ahead of: the engine works while the writer commits.
          if (store.offThreadAppends === true && event.batching !== undefined) await pullBatches(event.batching, event.source as AsyncIterable<BarSlice>);
          else if (store.offThreadAppends === true) {
            for await (const slice of event.source as AsyncIterable<BarSlice>) await handle(slice);
          } else {
            for await (const slice of event.source as AsyncIterable<BarSlice>) {
              await handle(slice);
              while (committing !== null) await committing;
            }
          }
        } else {
          await lastValueFrom((event.source as Observable<BarSlice>).pipe(concatMap((slice) => from(handle(slice))), defaultIfEmpty(undefined)));
        }
      } catch (error) {
        // A bad slice, a failed source or a strategy that fails: the slices decided before it continue the log validly,
        // so they are committed (a commit that fails too is reported as what ended the run), then the run fails.
        await settled();
        throw error;
      }
      await settled();
      return processed;
    }),
    followGroups: fromPromise<number, { store: EventStore; stream: string; event: Extract<SupervisorEvent, { type: 'FOLLOW' }> }>(async ({ input }) => {
      const { event, store, stream } = input;
      let processed = 0;
      // Group commit, pipelined as consumeStream is: the slices of a group are decided in order and committed with
      // their feed records in one transaction (one fsync), and the next group is decided while one commits. A slice
      // is reported only once durable; at most one group waits to be durable. With the feed record in the same
      // transaction: paper bench 445 → 894 slices/s, p50 1.63 → 1.04 ms (median of 5 interleaved runs, loaded machine).
      let previous: Promise<void> = Promise.resolve();
      const groups = event.groups[Symbol.asyncIterator]();
      try {
        for (;;) {
          const pulled = groups.next();
          pulled.catch(() => undefined);
          // A failed commit ends the run at once, also while the source waits for its next slice. Both promises raced
          // settle: a race on a promise that never settles keeps every group it was raced with alive (6 KB a slice).
          const next = await Promise.race([pulled, previous.then(() => pulled)]);
          if (next.done === true) break;
          const group: unknown = next.value;
          if (!Array.isArray(group)) throw new DataError(`follow: each group must be an array of { slice, before }, got ${describeValue(group)}`);
          // The invoking transition must finish first: a slice may spawn strategy actors, which the supervisor does between transitions.
          await Promise.resolve();
          const writes: StreamAppend[] = [];
          const decided: { item: LiveSlice; events: readonly SealedEvent[] }[] = [];
          let failure: { error: unknown } | null = null;
          for (const item of group as readonly LiveSlice[]) {
            const expectedRevision = event.expectedRevision();
            let events: readonly SealedEvent[];
            try {
              checkLiveSlice(item);
              events = event.work(item.slice);
            } catch (error) {
              // The slices decided before it continue the log validly: they are committed, then the run fails.
              failure = { error };
              break;
            }
            writes.push(...item.before);
            if (events.length > 0) writes.push({ stream, events, expectedRevision });
            decided.push({ item, events });
          }
          const before = previous;
          const durable = (async (): Promise<void> => {
            await before;
            if (writes.length > 0) await store.appendMany(writes);
            for (const d of decided) {
              await event.done(d.item, d.events);
              processed += 1;
            }
          })();
          // Observed through `previous` by the next group or the end of the source, never left unhandled.
          durable.catch(() => undefined);
          previous = durable;
          if (failure !== null) throw failure.error;
          await before;
        }
      } catch (error) {
        // What was decided before the failure is still committed and reported before the run fails.
        await previous.catch(() => undefined);
        // Not awaited: a source waiting for its next slice ends once its owner sees the failure.
        groups.return?.().catch(() => undefined);
        throw error;
      }
      await previous;
      return processed;
    }),
  },
}).createMachine({
  id: 'supervisor',
  initial: 'ready',
  context: ({ input }) => ({ ...input, slices: 0, lastAppend: null, error: null }),
  on: {
    SPAWN: { actions: spawnChild('strategy', { id: ({ event }) => (event as Extract<SupervisorEvent, { type: 'SPAWN' }>).input.strategyId, input: ({ event }) => (event as Extract<SupervisorEvent, { type: 'SPAWN' }>).input }) },
  },
  states: {
    ready: {
      on: {
        COMMIT: 'committing',
        SLICE: 'slicing',
        RUN: 'streaming',
        FOLLOW: 'following',
        HALT: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
        CLOSE: 'closed',
      },
    },
    committing: {
      invoke: {
        src: 'appendEvents',
        input: ({ context, event }) => {
          const commit = event as Extract<SupervisorEvent, { type: 'COMMIT' }>;
          return { append: appender(context.store, context.stream), events: commit.events, expectedRevision: commit.expectedRevision };
        },
        onDone: { target: 'ready', actions: assign({ lastAppend: ({ event }) => event.output }) },
        onError: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    slicing: {
      invoke: {
        src: 'processSlice',
        input: ({ context, event }) => ({ append: appender(context.store, context.stream), event: event as Extract<SupervisorEvent, { type: 'SLICE' }> }),
        onDone: { target: 'ready', actions: assign({ slices: ({ context }) => context.slices + 1, lastAppend: ({ event }) => event.output }) },
        onError: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    streaming: {
      invoke: {
        src: 'consumeStream',
        input: ({ context, event }) => ({ store: context.store, stream: context.stream, event: event as Extract<SupervisorEvent, { type: 'RUN' }> }),
        onDone: { target: 'ready', actions: assign({ slices: ({ context, event }) => context.slices + event.output }) },
        onError: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    following: {
      invoke: {
        src: 'followGroups',
        input: ({ context, event }) => ({ store: context.store, stream: context.stream, event: event as Extract<SupervisorEvent, { type: 'FOLLOW' }> }),
        onDone: { target: 'ready', actions: assign({ slices: ({ context, event }) => context.slices + event.output }) },
        onError: { target: 'halted', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    halted: { on: { CLOSE: 'closed' } },
    closed: { type: 'final' },
  },
});

/** A running supervisor. */
export type SupervisorRef = ActorRefFrom<typeof supervisorMachine>;
