// The append decision shared by every adapter: batch validation, idempotent retry, revision checks and chain linking.
import { GENESIS_HASH, encodeForStore, eventIdFor, type SealedEvent } from '../envelope.js';
import { InvalidEventError, StoreConfigError, WrongExpectedRevisionError, type ExpectedRevision } from '../errors.js';
import type { AppendResult } from '../store.js';

/** One event encoded for storage: the canonical body, its hash and the columns an adapter indexes. */
export interface EncodedEvent {
  readonly eventId: string;
  readonly revision: number;
  readonly type: string;
  readonly body: string;
  readonly hash: string;
  /** Hash of the event before it in its stream (not a column: the body holds it). */
  readonly prevHash: string;
}

/** One stream's encoded batch of an append of one or more streams. */
export interface EncodedWrite {
  readonly stream: string;
  readonly rows: readonly EncodedEvent[];
  readonly expectedRevision: ExpectedRevision;
}

/** Where an already stored event sits. */
export interface StoredEventRef {
  readonly stream: string;
  readonly revision: number;
  readonly hash: string;
  readonly position: number;
}

/** The last event of a stream. */
export interface StreamHead {
  readonly revision: number;
  readonly hash: string;
  readonly position: number;
}

/** The synchronous table operations an adapter offers to {@link appendBatch}; it calls them inside one transaction. */
export interface AppendTarget {
  /** The stored event with this id, or null. */
  eventById(eventId: string): StoredEventRef | null;
  /** The last event of `stream`, or null when the stream does not exist. */
  streamHead(stream: string): StreamHead | null;
  /**
   * Stores the rows (already checked) and returns the global position of the last one; or null when an event id is
   * already stored (the store's unique index finds it). Rows written before the clash may stay: {@link appendBatch}
   * then throws, which rolls the append's transaction back.
   */
  insert(stream: string, rows: readonly EncodedEvent[]): number | null;
}

/**
 * Validates a batch without touching any store: schema and hash of each event, one portfolio, deterministic ids,
 * contiguous revisions and prevHash links inside the batch.
 * @throws InvalidEventError naming the first offending event.
 */
export function encodeBatch(stream: string, events: readonly SealedEvent[]): EncodedEvent[] {
  const rows: EncodedEvent[] = [];
  const first = events[0];
  let prev: EncodedEvent | undefined;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i] as SealedEvent;
    const meta = event.metadata;
    // Built only for an error: this loop runs for every stored event.
    const where = (): string =>
      `event ${i} of the batch for stream "${stream}" (${String(event.type)}, revision ${String(meta?.revision)})`;
    if (!meta || !Number.isSafeInteger(meta.revision) || meta.revision < 0) {
      throw new InvalidEventError(`${where()} has no valid metadata.revision; seal events with sealEvents`);
    }
    let encoded: { body: string; hash: string };
    try {
      encoded = encodeForStore(event);
    } catch (e) {
      if (e instanceof InvalidEventError) throw new InvalidEventError(`${where()}: ${e.message}`);
      // canonicalJson refuses values JSON cannot hold (NaN, undefined…) with a TypeError.
      throw new InvalidEventError(`${where()} cannot be serialised: ${(e as Error).message}`);
    }
    if (meta.eventId !== eventIdFor(meta.portfolioId, meta.revision)) {
      throw new InvalidEventError(`${where()} has id ${meta.eventId}, not the deterministic id of its portfolio and revision`);
    }
    if (first && meta.portfolioId !== first.metadata.portfolioId) {
      throw new InvalidEventError(`${where()} belongs to portfolio "${meta.portfolioId}", not "${first.metadata.portfolioId}" like the rest of the batch`);
    }
    if (prev) {
      if (meta.revision !== prev.revision + 1) {
        throw new InvalidEventError(`${where()} follows revision ${prev.revision}; revisions in a batch must be contiguous`);
      }
      if (meta.prevHash !== prev.hash) {
        throw new InvalidEventError(`${where()} does not link to the event before it (prevHash mismatch)`);
      }
    }
    prev = {
      eventId: meta.eventId,
      revision: meta.revision,
      type: event.type,
      body: encoded.body,
      hash: encoded.hash,
      prevHash: meta.prevHash,
    };
    rows.push(prev);
  }
  return rows;
}

/** Encodes the writes of an append of several streams (each checked as {@link encodeBatch} does). @throws InvalidEventError */
export function encodeWrites(writes: readonly { readonly stream: string; readonly events: readonly SealedEvent[]; readonly expectedRevision: ExpectedRevision }[]): EncodedWrite[] {
  return writes.map((w) => ({ stream: w.stream, rows: encodeBatch(w.stream, w.events), expectedRevision: w.expectedRevision }));
}

/**
 * Appends an encoded batch to `target` (call it inside one transaction): returns the original result for an
 * idempotent retry, otherwise checks the expected revision and the link to the stream's head, then inserts.
 * @throws WrongExpectedRevisionError when the stream is not where the append expects it.
 * @throws InvalidEventError when the batch does not fit the stream (revision, prevHash or id already used).
 */
export function appendBatch(
  target: AppendTarget,
  stream: string,
  rows: readonly EncodedEvent[],
  expectedRevision: ExpectedRevision,
): AppendResult {
  checkExpectedRevisionOption(expectedRevision);
  const head = target.streamHead(stream);
  const firstRow = rows[0];
  // A retry of a batch that did commit (same ids, same place, same hashes) returns what the first append returned.
  // Only a batch starting at or below the stream's head can be stored already, so a fresh append looks nothing up.
  if (firstRow && head && firstRow.revision <= head.revision) {
    const stored = rows.map((r) => target.eventById(r.eventId));
    const last = stored[stored.length - 1];
    if (last && stored.every((s, i) => s !== null && s.stream === stream && s.revision === rows[i]?.revision && s.hash === rows[i]?.hash)) {
      return { nextExpectedRevision: last.revision, position: last.position };
    }
  }
  const actual = head ? head.revision : 'no_stream';
  if (expectedRevision === 'no_stream' ? head !== null : expectedRevision !== 'any' && actual !== expectedRevision) {
    throw new WrongExpectedRevisionError(stream, expectedRevision, actual);
  }
  if (!firstRow) return { nextExpectedRevision: head ? head.revision : -1, position: head ? head.position : -1 };
  const nextRevision = head ? head.revision + 1 : 0;
  if (firstRow.revision !== nextRevision) {
    // With 'any' the sealed revisions are the caller's expectation, so a stale batch is a concurrency conflict.
    if (expectedRevision === 'any') {
      throw new WrongExpectedRevisionError(stream, firstRow.revision === 0 ? 'no_stream' : firstRow.revision - 1, actual);
    }
    throw new InvalidEventError(
      `the batch for stream "${stream}" starts at revision ${firstRow.revision}, but the stream's next revision is ${nextRevision}; seal events from the stream's head`,
    );
  }
  const headHash = head ? head.hash : GENESIS_HASH;
  if (firstRow.prevHash !== headHash) {
    throw new InvalidEventError(
      `the first event of the batch for stream "${stream}" (revision ${firstRow.revision}) does not link to the stream's last event (prevHash mismatch)`,
    );
  }
  const position = target.insert(stream, rows);
  if (position === null) {
    // Ids are unique across the store: an id of this batch is stored in another stream (or at another revision).
    // Rows this batch already wrote (an adapter may have, until the throw below rolls them back) sit at its own
    // stream and revisions, which no earlier event can hold: the stream's head is below them.
    for (const r of rows) {
      const s = target.eventById(r.eventId);
      if (s && !(s.stream === stream && s.revision === r.revision)) {
        throw new InvalidEventError(
          `event id ${r.eventId} is already stored at stream "${s.stream}", revision ${s.revision}; an event id is unique across the store`,
        );
      }
    }
    throw new InvalidEventError(`an event id of the batch for stream "${stream}" is already stored; an event id is unique across the store`);
  }
  return { nextExpectedRevision: rows[rows.length - 1]?.revision ?? nextRevision, position };
}

/** @throws StoreConfigError when expectedRevision is not 'no_stream', 'any' or a non-negative integer. */
function checkExpectedRevisionOption(expected: ExpectedRevision): void {
  if (expected === 'no_stream' || expected === 'any') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new StoreConfigError(`expectedRevision must be 'no_stream', 'any' or a non-negative integer revision, not ${JSON.stringify(expected)}`);
  }
}
