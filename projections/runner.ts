// The projection runner: folds a set of projections over one stream from their checkpoints, stops at an as-of point, follows live appends.
import { ConfigError } from '../src/errors.js';
import { GENESIS_HASH, type RecordedEvent } from '../events/envelope.js';
import type { EventStore } from '../events/store.js';
import { readBatches } from '../events/readBatches.js';
import { ChainVerifier } from '../events/chain.js';
import { CorruptEventError, isStoreFullError, isStoreReadOnlyError } from '../events/errors.js';
import { SEALED_DOCUMENT_FORMAT, documentAnchorMatches, openDocument, sealDocument } from '../events/sealedDocument.js';
import { createFoldContext } from './foldContext.js';
import {
  CheckpointError,
  ProjectionError,
  decodeState,
  encodeState,
  type EncodedState,
  type InPlaceFold,
  type Projection,
  type ProjectionSet,
  type StatesOf,
} from './projection.js';

/** Where a fold stops: the end of the log, a bar time (every event with barTime ≤ time), a global position or a stream revision (inclusive). */
export type AsOf =
  | { readonly kind: 'end' }
  | { readonly kind: 'time'; readonly time: string }
  | { readonly kind: 'position'; readonly position: number }
  | { readonly kind: 'revision'; readonly revision: number };

/** Document collection that holds projection checkpoints. */
export const CHECKPOINT_COLLECTION = 'projection-checkpoints';

/** The sealed-document kind of a projection checkpoint (its version is the projection's). */
export const CHECKPOINT_KIND = 'projection-checkpoint';

/**
 * Parses `--as-of`: a positive integer is a global position; anything else must be an ISO-8601 time
 * (a date alone means 00:00:00.000Z that day).
 * @throws ConfigError for text that is neither.
 */
export function parseAsOf(text: string): AsOf {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { kind: 'position', position: Number(t) };
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t) ? Date.parse(/T/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t}Z` : t) : NaN;
  if (Number.isNaN(ms)) {
    throw new ConfigError(`--as-of "${text}" is neither a global position (an integer) nor an ISO time such as 2024-03-29T00:00:00Z`, 'asOf');
  }
  return { kind: 'time', time: new Date(ms).toISOString() };
}

/** Options of a {@link ProjectionRunner}. */
export interface RunnerOptions {
  /** The stream folded (one portfolio). */
  readonly stream: string;
  /** Save checkpoints every this many folded events (default 50 000) and at the end; 0 disables checkpoints. */
  readonly checkpointEvery?: number;
  /**
   * Start from the checkpoints saved by other runs even when `checkpointEvery` is 0 (this run then saves none): a fold
   * that adds a projection whose state is too large to save each time still reuses the others' (default false).
   */
  readonly restoreCheckpoints?: boolean;
}

/** Options of one run. */
export interface RunOptions {
  readonly asOf?: AsOf;
  /** Called about every 10 000 events with the events folded so far and the stream's event count. */
  readonly onProgress?: (folded: number, total: number) => void;
}

/** What a run did. */
export interface RunResult<P extends ProjectionSet> {
  readonly states: StatesOf<P>;
  /** Events read and folded in this run (events already in a checkpoint are not counted). */
  readonly eventsFolded: number;
  /** Last revision and global position folded (−1 and 0 when nothing was). */
  readonly revision: number;
  readonly position: number;
  readonly lastBarTime: string | null;
  /** Projections restored from a checkpoint rather than rebuilt from the first event. */
  readonly resumed: readonly string[];
  /** Checkpoints that did not match the log or themselves: ignored, and their projections rebuilt from the first event. */
  readonly rejectedCheckpoints: readonly RejectedCheckpoint[];
  /** False when checkpoints could not be saved because the store is open read-only or its disk is full (the next run folds again). */
  readonly checkpointsSaved: boolean;
  /** True when they could not be saved because the store's disk is full: a store that takes writes, which a user may want told. */
  readonly checkpointsFull: boolean;
  /**
   * The bar time of the slice a `position` as-of fell inside (after its first event, before its BarMarked): that slice
   * was left out, so the fold ends with the slice before it. Null when the as-of point is a slice's end (or not a position).
   */
  readonly incompleteSlice: string | null;
}

/** A checkpoint that was not used, and why. */
export interface RejectedCheckpoint {
  readonly projection: string;
  readonly reason: string;
}

/** The body of a sealed checkpoint; its anchor (revision and event hash) is in the sealed header. */
interface CheckpointBody {
  readonly name: string;
  readonly fingerprint: string;
  readonly position: number;
  readonly lastBarTime: string | null;
  readonly state: EncodedState;
}

/** A checkpoint that passed every check. */
interface Checkpoint extends CheckpointBody {
  readonly revision: number;
  readonly eventHash: string;
}

interface Slot {
  readonly key: string;
  readonly projection: Projection<unknown>;
  /** The state as of `revision`, unless `work` is set: then `work` (owned by this runner) is ahead of it. */
  state: unknown;
  work: unknown;
  working: boolean;
  revision: number;
  /** Hash of the event at `revision` (the genesis hash before any). */
  hash: string;
  position: number;
  lastBarTime: string | null;
  savedRevision: number;
}

/** A live follow: stop it to unsubscribe and save checkpoints. */
export interface LiveFollow {
  /** The last revision the catch-up run folded before following (−1 for an empty stream). */
  readonly caughtUpTo: number;
  stop(): Promise<void>;
}

/** Folds projections over one stream; checkpoints live in the store's documents, keyed by projection name and stream. */
export class ProjectionRunner<P extends ProjectionSet> {
  private readonly slots: Slot[];
  private readonly every: number;
  private sinceCheckpoint = 0;
  /** Checks every event folded links to the one before it; set by each run. */
  private chain = new ChainVerifier();
  private readOnly = false;
  /** Set when a checkpoint could not be saved for want of space: the run goes on without saving any (they are a cache). */
  private full = false;
  /** Memoised helpers the projections of this runner share (one per run; see FoldContext). */
  private context = createFoldContext();

  constructor(
    private readonly store: EventStore,
    projections: P,
    private readonly options: RunnerOptions,
  ) {
    this.every = options.checkpointEvery ?? 50_000;
    this.slots = Object.entries(projections).map(([key, projection]) => ({
      key,
      projection,
      state: projection.init(),
      work: undefined,
      working: false,
      revision: -1,
      hash: GENESIS_HASH,
      position: 0,
      lastBarTime: null,
      savedRevision: -1,
    }));
  }

  /** The current state of every projection. */
  get states(): StatesOf<P> {
    return Object.fromEntries(this.slots.map((s) => [s.key, this.settle(s)])) as StatesOf<P>;
  }

  /** Ends a slot's in-place working copy, if any, so `state` is current. */
  private settle(slot: Slot): unknown {
    if (slot.working) {
      slot.state = (slot.projection.inPlace as InPlaceFold<unknown, unknown>).end(slot.work);
      slot.work = undefined;
      slot.working = false;
    }
    return slot.state;
  }

  /**
   * Restores checkpoints that are usable for `asOf`, then folds the stream up to `asOf` (default its end) and saves checkpoints.
   * A projection whose version or fingerprint changed, or whose checkpoint lies beyond `asOf`, is rebuilt from the first event.
   * A checkpoint is used only when its content hash matches its content and the event it names (revision and hash) is
   * in the log; one that fails is ignored, its projection rebuilt, and it is listed in `rejectedCheckpoints`.
   * Every event folded is checked to follow the one before it (revision and prevHash), from the first event or from
   * the checkpoint the fold resumes at.
   * @throws ProjectionError when an event cannot be folded; CorruptEventError for an altered event, a gap or a broken link.
   */
  async run(options: RunOptions = {}): Promise<RunResult<P>> {
    const asOf = options.asOf ?? { kind: 'end' };
    const incompleteSlice = asOf.kind === 'position' ? await this.sliceOpenAt(asOf.position) : null;
    const cut: Cut = { asOf, before: incompleteSlice };
    const resumed: string[] = [];
    const rejected: RejectedCheckpoint[] = [];
    const anchorChecks = new Map<string, Promise<string | null>>();
    for (const slot of this.slots) {
      this.reset(slot);
      const loaded = await this.loadCheckpoint(slot, anchorChecks);
      if (loaded.rejected !== null) rejected.push({ projection: slot.projection.name, reason: loaded.rejected });
      const cp = loaded.checkpoint;
      if (cp && withinCut(cp, cut)) {
        slot.state = cp.decoded;
        slot.revision = cp.revision;
        slot.hash = cp.eventHash;
        slot.position = cp.position;
        slot.lastBarTime = cp.lastBarTime;
        resumed.push(slot.key);
      }
      slot.savedRevision = cp?.revision ?? -1;
    }
    const from = Math.min(...this.slots.map((s) => s.revision + 1));
    const start = this.slots.find((s) => s.revision + 1 === from);
    this.chain = new ChainVerifier({ revision: Number.isFinite(from) ? from : 0, prevHash: start?.hash ?? GENESIS_HASH });
    this.context = createFoldContext();
    const head = await this.store.streamRevision(this.options.stream);
    const total = head === 'no_stream' ? 0 : head + 1;
    let folded = 0;
    if (Number.isFinite(from) && from < total) {
      read: for await (const batch of readBatches(this.store.readStream(this.options.stream, { fromRevision: from }))) {
        for (const event of batch) {
          if (beyondCut(event, cut)) break read;
          this.fold(event);
          folded += 1;
          if (options.onProgress && folded % 10_000 === 0) options.onProgress(folded + from, total);
          if (this.every > 0 && this.sinceCheckpoint >= this.every) await this.saveCheckpoints();
        }
      }
    }
    if (this.every > 0) await this.saveCheckpoints();
    options.onProgress?.(folded + (Number.isFinite(from) ? from : 0), total);
    const last = this.slots.reduce((a, b) => (b.revision > a.revision ? b : a), this.slots[0] as Slot);
    return {
      states: this.states,
      eventsFolded: folded,
      revision: last?.revision ?? -1,
      position: last?.position ?? 0,
      lastBarTime: last?.lastBarTime ?? null,
      resumed,
      rejectedCheckpoints: rejected,
      checkpointsSaved: !this.readOnly,
      checkpointsFull: this.full,
      incompleteSlice,
    };
  }

  /**
   * The bar time of the slice that the event at global `position` lies inside without ending it, when that event is one
   * of this stream's; else null. A slice (a bar's events, closed by its BarMarked) is appended in one write, so its
   * positions are contiguous: an event of another stream, an event without a bar time (the portfolio's opening) or a
   * BarMarked is always at a slice's end for this stream.
   */
  private async sliceOpenAt(position: number): Promise<string | null> {
    for await (const event of this.store.readAll({ fromPosition: position })) {
      if (event.position !== position || event.stream !== this.options.stream) return null;
      return event.type !== 'BarMarked' ? event.metadata.barTime : null;
    }
    return null;
  }

  /**
   * Runs to the end, then folds every new event of the stream as it is appended; `onEvent` sees the states after each one.
   * Errors (a corrupt or unfoldable event) end the follow and are passed to `onError`.
   */
  async follow(handlers: {
    readonly onEvent?: (states: StatesOf<P>, event: RecordedEvent) => void;
    readonly onError?: (error: unknown) => void;
  } = {}): Promise<LiveFollow> {
    const result = await this.run();
    const subscription = this.store
      .subscribe(result.position > 0 ? { fromPosition: result.position + 1 } : {})
      .subscribe({
        next: (event) => {
          if (event.stream !== this.options.stream) return;
          try {
            this.fold(event);
          } catch (e) {
            subscription.unsubscribe();
            handlers.onError?.(e);
            return;
          }
          if (this.every > 0 && this.sinceCheckpoint >= this.every) {
            this.saveCheckpoints().catch((e: unknown) => handlers.onError?.(e));
          }
          handlers.onEvent?.(this.states, event);
        },
        error: (e: unknown) => handlers.onError?.(e),
      });
    return {
      caughtUpTo: result.revision,
      stop: async () => {
        subscription.unsubscribe();
        if (this.every > 0) await this.saveCheckpoints();
      },
    };
  }

  /** Removes this runner's checkpoints (the next run rebuilds every projection). */
  async dropCheckpoints(): Promise<void> {
    for (const slot of this.slots) await this.store.documents.delete(CHECKPOINT_COLLECTION, this.docKey(slot));
  }

  private fold(event: RecordedEvent): void {
    if (!this.chain.push(event)) {
      const v = this.chain.verdict();
      const at = v.ok ? { stream: event.stream, revision: event.metadata.revision, position: event.position } : v;
      throw new CorruptEventError(
        { stream: at.stream, revision: at.revision, position: at.position },
        `${v.ok ? 'broken chain' : v.reason}; the log cannot be trusted from here (run \`stratafolio audit --verify\`)`,
      );
    }
    for (const slot of this.slots) {
      if (event.metadata.revision <= slot.revision) continue;
      try {
        const inPlace = slot.projection.inPlace;
        if (inPlace === undefined) {
          slot.state = slot.projection.evolve(slot.state, event, this.context);
        } else {
          if (!slot.working) {
            slot.work = inPlace.begin(slot.state);
            slot.working = true;
          }
          inPlace.step(slot.work, event, this.context);
        }
      } catch (e) {
        // An in-place step may have half-changed its working copy, so that projection's state is dropped
        // (rebuilt by the next run) rather than kept or checkpointed at a revision it does not hold.
        if (slot.working) this.reset(slot);
        throw new ProjectionError(slot.projection.name, { ...event, revision: event.metadata.revision }, e);
      }
      slot.revision = event.metadata.revision;
      slot.hash = event.metadata.hash;
      slot.position = event.position;
      if (event.metadata.barTime !== null) slot.lastBarTime = event.metadata.barTime;
    }
    this.sinceCheckpoint += 1;
  }

  private reset(slot: Slot): void {
    slot.work = undefined;
    slot.working = false;
    slot.state = slot.projection.init();
    slot.revision = -1;
    slot.hash = GENESIS_HASH;
    slot.position = 0;
    slot.lastBarTime = null;
  }

  private docKey(slot: Slot): string {
    return `${slot.projection.name}@${this.options.stream}`;
  }

  /**
   * Loads and checks a slot's checkpoint. A missing one, or one made by another version or with other options, is
   * simply not used; one that fails a check (content hash, anchor in the log, decoding) is rejected with the reason.
   */
  private async loadCheckpoint(
    slot: Slot,
    anchorChecks: Map<string, Promise<string | null>>,
  ): Promise<{ checkpoint: (Checkpoint & { decoded: unknown }) | null; rejected: string | null }> {
    const none = { checkpoint: null, rejected: null };
    if (this.every <= 0 && this.options.restoreCheckpoints !== true) return none;
    const text = await this.store.documents.get(CHECKPOINT_COLLECTION, this.docKey(slot));
    if (text === null) return none;
    const opened = openDocument(text, { kind: CHECKPOINT_KIND });
    // A checkpoint saved before checkpoints were sealed is simply not used (rebuilt and saved sealed), not a fault.
    if (!opened.ok && isUnsealed(text, opened.reason)) return none;
    if (!opened.ok) return { checkpoint: null, rejected: opened.reason };
    const { header } = opened;
    const body = opened.body as Partial<CheckpointBody> | null;
    if (header.version !== slot.projection.version) return none; // made by another version of the projection: a rebuild, not a fault
    if (body === null || typeof body !== 'object' || typeof body.name !== 'string' || typeof body.fingerprint !== 'string') {
      return { checkpoint: null, rejected: 'malformed checkpoint body' };
    }
    if (body.name !== slot.projection.name) return { checkpoint: null, rejected: `a checkpoint of projection "${body.name}" stored under "${this.docKey(slot)}"` };
    if (header.anchor.stream !== this.options.stream) {
      return { checkpoint: null, rejected: `built from stream ${header.anchor.stream}, not ${this.options.stream}` };
    }
    if (body.fingerprint !== (slot.projection.fingerprint ?? '')) return none; // made with other options
    const key = `${header.anchor.revision}\u0000${header.anchor.eventHash}`;
    let check = anchorChecks.get(key);
    if (check === undefined) {
      check = documentAnchorMatches(this.store, header.anchor, GENESIS_HASH);
      anchorChecks.set(key, check);
    }
    const mismatch = await check;
    if (mismatch !== null) return { checkpoint: null, rejected: mismatch };
    if (!Number.isSafeInteger(body.position) || (body.lastBarTime !== null && typeof body.lastBarTime !== 'string') || body.state === undefined) {
      return { checkpoint: null, rejected: 'malformed checkpoint body' };
    }
    let decoded: unknown;
    try {
      decoded = decodeState(body.state);
    } catch (e) {
      return { checkpoint: null, rejected: `its state does not decode (${e instanceof Error ? e.message : String(e)})` };
    }
    const cp: Checkpoint & { decoded: unknown } = {
      name: body.name,
      fingerprint: body.fingerprint,
      position: body.position as number,
      lastBarTime: body.lastBarTime ?? null,
      state: body.state,
      revision: header.anchor.revision,
      eventHash: header.anchor.eventHash,
      decoded,
    };
    return { checkpoint: cp, rejected: null };
  }

  /**
   * Saves each projection that moved past its saved checkpoint (an as-of run never overwrites a later checkpoint),
   * sealed with the event it was built at. On a store open read-only, checkpoints are not saved (they are a cache).
   */
  private async saveCheckpoints(): Promise<void> {
    this.sinceCheckpoint = 0;
    if (this.readOnly) return;
    for (const slot of this.slots) {
      if (slot.revision <= slot.savedRevision) continue;
      let state: EncodedState;
      try {
        state = encodeState(this.settle(slot));
      } catch (e) {
        throw new CheckpointError(`projection "${slot.projection.name}": ${(e as Error).message}`);
      }
      const body: CheckpointBody = {
        name: slot.projection.name,
        fingerprint: slot.projection.fingerprint ?? '',
        position: slot.position,
        lastBarTime: slot.lastBarTime,
        state,
      };
      const text = sealDocument(
        { kind: CHECKPOINT_KIND, version: slot.projection.version, anchor: { stream: this.options.stream, revision: slot.revision, eventHash: slot.hash } },
        body,
      );
      try {
        await this.store.documents.put(CHECKPOINT_COLLECTION, this.docKey(slot), text);
      } catch (e) {
        if (isStoreFullError(e)) this.full = true;
        else if (!isStoreReadOnlyError(e)) throw e;
        this.readOnly = true;
        return;
      }
      slot.savedRevision = slot.revision;
    }
  }
}

/** Whether a stored document is valid JSON written without a seal (by a version before sealing), rather than a damaged seal. */
export function isUnsealed(text: string, reason: string): boolean {
  return reason.startsWith('not a sealed document') && !text.includes(SEALED_DOCUMENT_FORMAT);
}

/**
 * Where a run stops: `asOf`, and, when a position as-of falls inside a slice, before that slice's bar time. Half a
 * slice is no state a quant can read: its fills are in the books at the slice's prices while the values are still the
 * last mark's, so the positions and the capital accounts would disagree. Bar times only grow along a stream, and a
 * slice's events all carry its bar time, so "bar time before `before`" is exactly "the slices before it".
 */
interface Cut {
  readonly asOf: AsOf;
  readonly before: string | null;
}

/** Whether a checkpoint holds only events that the cut includes. */
function withinCut(cp: Checkpoint, cut: Cut): boolean {
  return withinAsOf(cp, cut.asOf) && (cut.before === null || cp.lastBarTime === null || cp.lastBarTime < cut.before);
}

/** Whether an event lies after the cut. */
function beyondCut(event: RecordedEvent, cut: Cut): boolean {
  if (beyond(event, cut.asOf)) return true;
  return cut.before !== null && event.metadata.barTime !== null && event.metadata.barTime >= cut.before;
}

/** Whether a checkpoint holds only events that `asOf` includes. */
function withinAsOf(cp: Checkpoint, asOf: AsOf): boolean {
  switch (asOf.kind) {
    case 'end':
      return true;
    case 'position':
      return cp.position <= asOf.position;
    case 'revision':
      return cp.revision <= asOf.revision;
    case 'time':
      return cp.lastBarTime === null || cp.lastBarTime <= asOf.time;
  }
}

/** Whether an event lies after `asOf`; bar times only grow along a stream, so the fold stops at the first such event. */
function beyond(event: RecordedEvent, asOf: AsOf): boolean {
  switch (asOf.kind) {
    case 'end':
      return false;
    case 'position':
      return event.position > asOf.position;
    case 'revision':
      return event.metadata.revision > asOf.revision;
    case 'time':
      return event.metadata.barTime !== null && event.metadata.barTime > asOf.time;
  }
}
