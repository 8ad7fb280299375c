// Audit of the derived documents stored beside a portfolio's log: projection checkpoints and recovery snapshots.
import { GENESIS_HASH } from '../events/envelope.js';
import type { EventStore } from '../events/store.js';
import { documentAnchorMatches, openDocument } from '../events/sealedDocument.js';
import { encodeState } from './projection.js';
import { CHECKPOINT_COLLECTION, CHECKPOINT_KIND, ProjectionRunner, isUnsealed } from './runner.js';
import type { ProjectionSet } from './projection.js';

/** The collection and sealed-document kind of the engine's recovery snapshots (written by the engine, keyed by stream). */
export const SNAPSHOT_COLLECTION = 'snapshots';
export const SNAPSHOT_KIND = 'portfolio-snapshot';

/** What was established of one stored document. */
export interface DocumentCheck {
  readonly collection: string;
  readonly key: string;
  /**
   * `sound`: its content hash matches and the event it names is in the log with that hash (and, for a checkpoint of a
   * known projection, refolding the log to that event gives the same state); `unsealed`: written without a seal, so
   * its content and the event it was built at cannot be checked (an unsealed checkpoint is never used); `broken`: it
   * fails a check.
   */
  readonly status: 'sound' | 'unsealed' | 'broken';
  /** For a sound checkpoint: whether its state was refolded from the log and compared (false: content and anchor only). */
  readonly refolded: boolean;
  readonly revision: number | null;
  readonly reason: string | null;
}

/**
 * Checks every checkpoint and snapshot stored for `stream`. Each document's content hash is recomputed and the event
 * it was built at (revision and hash) is looked up in the log. A checkpoint of a projection in `projections` (same
 * name, version and options) is also refolded from the first event to that revision and its state compared as
 * encoded; other documents are checked by content and anchor only (their content is not rebuilt).
 */
export async function verifyStoredDocuments(store: EventStore, stream: string, projections: ProjectionSet): Promise<DocumentCheck[]> {
  const checks: DocumentCheck[] = [];
  const byName = new Map(Object.entries(projections).map(([key, p]) => [p.name, { key, projection: p }]));
  const suffix = `@${stream}`;
  const refolds = new Map<number, Promise<ReadonlyMap<string, string>>>();
  for (const key of await store.documents.list(CHECKPOINT_COLLECTION)) {
    if (!key.endsWith(suffix)) continue;
    const text = await store.documents.get(CHECKPOINT_COLLECTION, key);
    if (text === null) continue;
    const base = await checkSealed(store, stream, CHECKPOINT_COLLECTION, key, text, CHECKPOINT_KIND);
    if (base.status !== 'sound' || base.revision === null) {
      checks.push(base);
      continue;
    }
    const opened = openDocument(text, { kind: CHECKPOINT_KIND });
    const body = opened.ok ? (opened.body as { name?: unknown; fingerprint?: unknown; position?: unknown; state?: unknown }) : null;
    const known = typeof body?.name === 'string' ? byName.get(body.name) : undefined;
    if (
      !opened.ok ||
      body === null ||
      known === undefined ||
      opened.header.version !== known.projection.version ||
      body.fingerprint !== (known.projection.fingerprint ?? '')
    ) {
      checks.push(base);
      continue;
    }
    const revision = base.revision;
    let refold = refolds.get(revision);
    if (refold === undefined) {
      refold = refoldTo(store, stream, projections, revision);
      refolds.set(revision, refold);
    }
    const expected = (await refold).get(known.key);
    const actual = JSON.stringify(body.state);
    checks.push(
      expected === actual
        ? { ...base, refolded: true }
        : { ...base, status: 'broken', refolded: true, reason: `its state differs from the ${known.projection.name} projection refolded from the log to revision ${revision}` },
    );
  }
  for (const key of await store.documents.list(SNAPSHOT_COLLECTION)) {
    if (key !== stream) continue;
    const text = await store.documents.get(SNAPSHOT_COLLECTION, key);
    if (text !== null) checks.push(await checkSealed(store, stream, SNAPSHOT_COLLECTION, key, text, SNAPSHOT_KIND));
  }
  return checks;
}

async function checkSealed(store: EventStore, stream: string, collection: string, key: string, text: string, kind: string): Promise<DocumentCheck> {
  const opened = openDocument(text, { kind });
  if (!opened.ok) {
    return { collection, key, status: isUnsealed(text, opened.reason) ? 'unsealed' : 'broken', refolded: false, revision: null, reason: opened.reason };
  }
  const { anchor } = opened.header;
  if (anchor.stream !== stream) {
    return { collection, key, status: 'broken', refolded: false, revision: anchor.revision, reason: `built from stream ${anchor.stream}, stored for ${stream}` };
  }
  const mismatch = await documentAnchorMatches(store, anchor, GENESIS_HASH);
  return { collection, key, status: mismatch === null ? 'sound' : 'broken', refolded: false, revision: anchor.revision, reason: mismatch };
}

/** The encoded state of every projection folded from the first event to `revision` (inclusive), without checkpoints. */
async function refoldTo(store: EventStore, stream: string, projections: ProjectionSet, revision: number): Promise<ReadonlyMap<string, string>> {
  const runner = new ProjectionRunner(store, projections, { stream, checkpointEvery: 0 });
  const { states } = await runner.run({ asOf: { kind: 'revision', revision } });
  return new Map(Object.entries(states).map(([key, state]) => [key, JSON.stringify(encodeState(state))]));
}
