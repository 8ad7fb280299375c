// Verifying a stream's hash chain: contiguous revisions, deterministic ids and unbroken prevHash links.
import { GENESIS_HASH, eventIdFor, type RecordedEvent } from './envelope.js';

/** The first place a chain is broken, or none. */
export type ChainVerdict =
  | { readonly ok: true; readonly events: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly stream: string;
      readonly revision: number;
      readonly position: number;
      readonly reason: string;
    };

/** Where a chain check starts: the revision expected next and the hash of the event before it. */
export interface ChainStart {
  readonly revision: number;
  readonly prevHash: string;
}

/**
 * Incremental chain checker: feed events of one stream in order; the first failure is kept. By default it starts at
 * the first event; from a later `start` it checks that the events read link to an event already trusted (e.g. the
 * anchor of a checkpoint that was checked against the log).
 */
export class ChainVerifier {
  private expectedRevision: number;
  private prevHash: string;
  private failure: Extract<ChainVerdict, { ok: false }> | null = null;

  constructor(start: ChainStart = { revision: 0, prevHash: GENESIS_HASH }) {
    this.expectedRevision = start.revision;
    this.prevHash = start.prevHash;
  }

  /** Checks the next event; returns false once the chain is broken. */
  push(event: RecordedEvent): boolean {
    if (this.failure) return false;
    const at = { stream: event.stream, revision: event.metadata.revision, position: event.position };
    let reason: string | null = null;
    if (event.metadata.revision !== this.expectedRevision) {
      reason = `revision ${event.metadata.revision} where ${this.expectedRevision} was expected (a gap or reordering)`;
    } else if (event.metadata.prevHash !== this.prevHash) {
      reason = 'prevHash does not match the previous event (an event was altered, removed or inserted)';
    } else if (event.metadata.eventId !== eventIdFor(event.metadata.portfolioId, event.metadata.revision)) {
      reason = 'event id is not the deterministic id of its portfolio and revision';
    }
    if (reason) {
      this.failure = { ok: false, ...at, reason };
      return false;
    }
    this.expectedRevision += 1;
    this.prevHash = event.metadata.hash;
    return true;
  }

  /** The verdict so far. */
  verdict(): ChainVerdict {
    return this.failure ?? { ok: true, events: this.expectedRevision, headHash: this.prevHash };
  }
}

/** Verifies a whole stream read in order; self-hashes are checked when events are decoded. */
export async function verifyChain(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): Promise<ChainVerdict> {
  const verifier = new ChainVerifier();
  for await (const e of events) if (!verifier.push(e)) break;
  return verifier.verdict();
}
