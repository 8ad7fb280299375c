// Pure translations between the EventStore port and KurrentDB's client: revisions, positions, errors, stream names.
import { WrongExpectedRevisionError, type ExpectedRevision } from '../errors.js';
import { StoreConfigError } from '../errors.js';

/** KurrentDB's expected stream state, as the client takes it (`streamState`). */
export type KurrentStreamState = 'any' | 'no_stream' | bigint;

/** A KurrentDB log position (the client's `Position`). */
export interface KurrentPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** The port's expected revision as KurrentDB's `streamState`. */
export function toStreamState(expected: ExpectedRevision): KurrentStreamState {
  if (expected === 'any' || expected === 'no_stream') return expected;
  return BigInt(expected);
}

/** A stream revision from the client (bigint) as the port's number. @throws StoreConfigError beyond 2^53. */
export function fromRevision(revision: bigint): number {
  if (revision < 0n || revision > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StoreConfigError(`KurrentDB revision ${revision} is outside the safe integer range stratafolio uses`);
  }
  return Number(revision);
}

/** KurrentDB's current stream state (`no_stream` or the last revision) as the port's. */
export function fromCurrentState(state: unknown): number | 'no_stream' {
  return typeof state === 'bigint' ? fromRevision(state) : 'no_stream';
}

/**
 * An event's global position as the port's integer: its log (prepare) position. Each event of an append has its
 * own, increasing in $all order; they are not contiguous, so readers never compute "the next position" as +1.
 * @throws StoreConfigError for a position beyond 2^53 (a log of more than 9 PB).
 */
export function fromPosition(position: KurrentPosition): number {
  const p = position.prepare;
  if (p < 0n || p > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StoreConfigError(`KurrentDB log position ${p} is outside the safe integer range stratafolio uses`);
  }
  return Number(p);
}

/** The client's read position for the port's `fromPosition` (inclusive): the start of the log for 1 or less. */
export function toReadPosition(fromPositionInclusive: number): 'start' | KurrentPosition {
  if (fromPositionInclusive <= 1) return 'start';
  const p = BigInt(Math.floor(fromPositionInclusive));
  return { commit: p, prepare: p };
}

/** The client's WrongExpectedVersionError as the port's, naming the stream, the expectation and the actual revision. */
export function toWrongExpectedRevision(stream: string, expected: ExpectedRevision, actualState: unknown): WrongExpectedRevisionError {
  return new WrongExpectedRevisionError(stream, expected, fromCurrentState(actualState));
}

/** Prefix of the streams the adapter keeps for itself (documents, id claims); readAll and listStreams skip them. */
export const INTERNAL_PREFIX = 'stratafolio:';

/** True for a stream the adapter keeps for itself or a KurrentDB system stream. */
export function isInternalStream(stream: string): boolean {
  return stream.startsWith(INTERNAL_PREFIX) || stream.startsWith('$');
}

/** The stream holding one document: collection and key escaped so that no two documents share a stream. */
export function documentStream(collection: string, key: string): string {
  return `${documentPrefix(collection)}${encodeURIComponent(key)}`;
}

/** The common prefix of a collection's document streams. */
export function documentPrefix(collection: string): string {
  return `${INTERNAL_PREFIX}doc:${encodeURIComponent(collection)}:`;
}

/** The key of a document stream of `collection`, or null when the stream belongs to another collection. */
export function documentKeyOf(collection: string, stream: string): string | null {
  const prefix = documentPrefix(collection);
  return stream.startsWith(prefix) ? decodeURIComponent(stream.slice(prefix.length)) : null;
}

/** The stream recording where a portfolio's revisions are stored, so an event id stays unique across the store. */
export function claimStream(portfolioId: string): string {
  return `${INTERNAL_PREFIX}ids:${encodeURIComponent(portfolioId)}`;
}

/** One claim: revisions `from`..`to` of a portfolio are stored in `stream`. */
export interface RevisionClaim {
  readonly stream: string;
  readonly from: number;
  readonly to: number;
}

/**
 * The first event id of a batch (portfolio revisions `from`..`to` going to `stream`) already stored elsewhere:
 * the claim it collides with, or null. Ids are derived from (portfolio, revision), so a collision is a revision of
 * the same portfolio claimed by another stream.
 */
export function claimClash(claims: readonly RevisionClaim[], stream: string, from: number, to: number): { claim: RevisionClaim; revision: number } | null {
  for (const c of claims) {
    if (c.stream === stream) continue;
    const lo = Math.max(c.from, from);
    if (lo <= Math.min(c.to, to)) return { claim: c, revision: lo };
  }
  return null;
}

/** The connection string the client understands: `esdb` schemes (deprecated by the client) become `kurrentdb`. */
export function kurrentConnectionString(url: string): string {
  return url.replace(/^esdb(\+discover)?:\/\//i, (_m, discover: string | undefined) => `kurrentdb${discover ?? ''}://`);
}
