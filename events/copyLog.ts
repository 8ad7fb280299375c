// Copying a stream's events from one store to another, verifying its hash chain first and never overwriting a different log.
import { ChainVerifier } from './chain.js';
import type { RecordedEvent, SealedEvent } from './envelope.js';
import { CorruptEventError } from './errors.js';
import type { EventStore } from './store.js';
import { StratafolioError } from '../src/errors.js';

/** The target already holds a stream that is not the source's (or the start of it): copying would fork a log. */
export class LogConflictError extends StratafolioError {
  constructor(
    readonly stream: string,
    readonly revision: number,
    readonly target: string,
    readonly source: string,
  ) {
    super(
      `${target} already holds a different log for stream "${stream}": revision ${revision} differs from ${source}; ` +
        'nothing was copied to this stream. Copy into an empty store (or another --to), or delete the stream there first',
    );
  }
}

/** Type guard for {@link LogConflictError}. */
export const isLogConflictError = (e: unknown): e is LogConflictError => e instanceof LogConflictError;

/** What copying one stream did. */
export interface StreamCopy {
  readonly stream: string;
  /** Events in the source stream (all verified). */
  readonly events: number;
  /** Events the target already held (the same, hash for hash). */
  readonly alreadyThere: number;
  /** Events appended to the target by this copy. */
  readonly copied: number;
  /** Hash of the stream's last event, or null for an empty stream. */
  readonly headHash: string | null;
}

/** Events appended per transaction: large enough that a copy is not bound by commits, small enough to stay bounded in memory. */
const COPY_BATCH = 1000;

/**
 * Reads and verifies the whole of `stream` in `source` (stored hashes, revisions, prevHash links): what a copy of
 * several streams checks of each before it writes any, so that a broken source leaves no target behind.
 * @throws CorruptEventError naming the first bad event.
 */
export async function verifyStream(source: EventStore, stream: string): Promise<void> {
  const verifier = new ChainVerifier();
  for await (const e of source.readStream(stream)) if (!verifier.push(e)) throw chainBroken(verifier, e);
}

/**
 * Copies `stream` from `source` to `target`. The whole source stream is verified first (stored hashes, revisions,
 * prevHash links), so a broken source writes nothing. Events the target already holds must be the same, hash for
 * hash; the rest are appended in order, each batch checked against the target's revision, so running the copy again
 * (after an interruption, or once the source has grown) continues where the target stops.
 * Documents (projection checkpoints, snapshots) are not copied: they are caches bound to one store, rebuilt from the log.
 * @throws CorruptEventError naming the first bad event of the source; LogConflictError when the target's stream differs.
 */
export async function copyStream(source: EventStore, target: EventStore, stream: string): Promise<StreamCopy> {
  await verifyStream(source, stream);
  return copyVerifiedStream(source, target, stream);
}

/**
 * {@link copyStream} of a stream the caller has just verified whole with {@link verifyStream} (a copy of several streams
 * verifies them all before it writes any): read once more, each event verified again as it is copied, since the
 * source may have changed in between; the counts and the head returned are of that read.
 * @throws CorruptEventError naming the first bad event of the source; LogConflictError when the target's stream differs.
 */
export async function copyVerifiedStream(source: EventStore, target: EventStore, stream: string): Promise<StreamCopy> {
  // The target's hashes, compared revision by revision with the source's below.
  const held: string[] = [];
  for await (const e of target.readStream(stream)) held.push(e.metadata.hash);

  let copied = 0;
  let alreadyThere = 0;
  let batch: SealedEvent[] = [];
  let expected: number | 'no_stream' = held.length === 0 ? 'no_stream' : held.length - 1;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const result = await target.append(stream, batch, { expectedRevision: expected });
    expected = result.nextExpectedRevision;
    copied += batch.length;
    batch = [];
  };
  const again = new ChainVerifier();
  let events = 0;
  let headHash: string | null = null;
  for await (const e of source.readStream(stream)) {
    // Verified again as it is copied: the source may have changed between the two reads.
    if (!again.push(e)) throw chainBroken(again, e);
    events += 1;
    headHash = e.metadata.hash;
    const revision = e.metadata.revision;
    if (revision < held.length) {
      if (held[revision] !== e.metadata.hash) throw new LogConflictError(stream, revision, target.url, source.url);
      alreadyThere += 1;
      continue;
    }
    batch.push(sealedOf(e));
    if (batch.length === COPY_BATCH) await flush();
  }
  await flush();
  // A target that holds more than the source is a fork too, unless the source was the start of it.
  if (held.length > events) throw new LogConflictError(stream, events, target.url, source.url);
  return { stream, events, alreadyThere, copied, headHash };
}

function chainBroken(verifier: ChainVerifier, e: RecordedEvent): CorruptEventError {
  const verdict = verifier.verdict();
  const reason = verdict.ok ? 'the hash chain is broken' : verdict.reason;
  return new CorruptEventError({ stream: e.stream, revision: e.metadata.revision, position: e.position }, reason);
}

/** The event as it was sealed, without the store's stream and position. */
function sealedOf(e: RecordedEvent): SealedEvent {
  return { type: e.type, data: e.data, metadata: e.metadata } as SealedEvent;
}
