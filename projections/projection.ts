// The projection contract (a named, versioned pure fold over recorded events) and the JSON form its state is checkpointed in.
import { Dec, type DecString } from '../src/money/decimal.js';
import { StratafolioError } from '../src/errors.js';
import type { RecordedEvent } from '../events/envelope.js';
import { setOwn } from '../src/records/ownKeys.js';
import { createFoldContext, type FoldContext } from './foldContext.js';

/**
 * A read model folded from events. `evolve` must be pure and must not mutate `state`: the runner may keep the old state.
 * Bump `version` whenever the state's shape or meaning changes; the runner then rebuilds it from the first event.
 */
export interface Projection<S, W = unknown> {
  readonly name: string;
  readonly version: number;
  /** Options that change the state (e.g. metric thresholds); a checkpoint made with other options is not reused. */
  readonly fingerprint?: string;
  init(): S;
  /** The next state; `context` (memoised pure helpers shared by one runner pass) never changes the answer. */
  evolve(state: S, event: RecordedEvent, context?: FoldContext): S;
  /** The same fold done in place on a working copy the runner owns, for long replays (see {@link InPlaceFold}). */
  readonly inPlace?: InPlaceFold<S, W>;
}

/**
 * An in-place form of a projection's fold. A replay of millions of events cannot afford a fresh copy of every map
 * and list per event, so the runner asks for a private working copy (`begin`), folds events into it (`step`), and
 * ends it (`end`) whenever it needs a state (at a checkpoint, at the end of a run, for a live listener). No state
 * anyone holds is ever mutated: `begin` copies everything `step` may change, and after `end` the runner drops the
 * working copy (the next event begins a new one). `end(step…(begin(s)))` must equal folding the same events with `evolve`.
 */
export interface InPlaceFold<S, W> {
  begin(state: S): W;
  step(work: W, event: RecordedEvent, context: FoldContext): void;
  end(work: W): S;
}

/** A pure `evolve` from an in-place fold: copy, step once, end (one logic for both paths). */
export function evolveByCopy<S, W>(fold: InPlaceFold<S, W>): (state: S, event: RecordedEvent, context?: FoldContext) => S {
  return (state, event, context) => {
    const work = fold.begin(state);
    fold.step(work, event, context ?? createFoldContext());
    return fold.end(work);
  };
}

/** A set of projections folded together, keyed by what the caller calls them. */
export type ProjectionSet = Readonly<Record<string, Projection<unknown>>>;

/** The states of a projection set, key by key. */
export type StatesOf<P extends ProjectionSet> = { -readonly [K in keyof P]: P[K] extends Projection<infer S> ? S : never };

/** An event could not be folded into a projection (the log says something the projection cannot accept). */
export class ProjectionError extends StratafolioError {
  constructor(
    readonly projection: string,
    readonly event: Pick<RecordedEvent, 'stream' | 'position' | 'type'> & { readonly revision: number },
    override readonly cause: unknown,
  ) {
    super(
      `projection "${projection}" cannot fold ${event.type} at stream "${event.stream}", revision ${event.revision}, ` +
        `position ${event.position}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** A projection state failed to decode from its checkpoint. */
export class CheckpointError extends StratafolioError {}

/** JSON form of projection state: Decimals as `{"$dec": "1.5"}`, Maps as `{"$map": [[k, v]…]}`, NaN/±Infinity as `{"$num": "NaN"}`. */
export type EncodedState = null | boolean | number | string | EncodedState[] | { [key: string]: EncodedState };

/**
 * The key of a method that gives a state value's checkpoint form: for values kept in a cheaper form during a fold than
 * the plain object they read as (e.g. a Decimal parsed on first read). The form is encoded instead; decoding gives it back.
 */
export const CHECKPOINT_FORM: unique symbol = Symbol('stratafolio.checkpointForm');

/** A state value with a checkpoint form (see {@link CHECKPOINT_FORM}). */
export interface WithCheckpointForm {
  [CHECKPOINT_FORM](): unknown;
}

/** Encodes a state built from plain objects, arrays, Maps, Decimals, strings, booleans, null, numbers and values with a checkpoint form. @throws CheckpointError for anything else. */
export function encodeState(value: unknown, path = '$'): EncodedState {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $num: String(value) };
  if (value instanceof Dec) return { $dec: value.isZero() ? '0' : (value.toString() as DecString) };
  if (value instanceof Map) {
    return { $map: [...value.entries()].map(([k, v], i) => [encodeState(k, `${path}<key ${i}>`), encodeState(v, `${path}.${String(k)}`)]) };
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeState(v, `${path}[${i}]`));
  if (typeof value === 'object' && CHECKPOINT_FORM in value) return encodeState((value as WithCheckpointForm)[CHECKPOINT_FORM](), path);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: EncodedState } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) setOwn(out, k, encodeState(v, `${path}.${k}`));
    return out;
  }
  throw new CheckpointError(`projection state at ${path} is a ${typeof value} that checkpoints cannot hold`);
}

/** Decodes what {@link encodeState} produced. */
export function decodeState(value: EncodedState): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeState);
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const tagged = value as Record<string, EncodedState>;
    if (typeof tagged.$dec === 'string') return new Dec(tagged.$dec);
    if (typeof tagged.$num === 'string') return Number(tagged.$num);
    if (Array.isArray(tagged.$map)) {
      return new Map(tagged.$map.map((pair) => {
        const [k, v] = pair as [EncodedState, EncodedState];
        return [decodeState(k), decodeState(v)];
      }));
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, decodeState(v));
  return out;
}
