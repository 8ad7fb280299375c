// Sealed documents: derived data (projection checkpoints, recovery snapshots) bound to the event it was built at and to its own content.
import { canonicalJson } from './canonicalJson.js';
import { sha256Hex } from './envelope.js';
import type { EventStore } from './store.js';

/** The format tag of every sealed document; a document without it is not one of ours (or predates sealing). */
export const SEALED_DOCUMENT_FORMAT = 'stratafolio-document/1';

/** The event a document was built at: after applying it, the builder's state was the document's body. */
export interface DocumentAnchor {
  readonly stream: string;
  /** Revision of the last event folded into the body (-1: built from no event). */
  readonly revision: number;
  /** That event's hash (the genesis hash when revision is -1). */
  readonly eventHash: string;
}

/** What a sealed document says of itself before its body is trusted. */
export interface DocumentHeader {
  readonly kind: string;
  readonly version: number;
  readonly anchor: DocumentAnchor;
}

/** An opened document: its header and parsed body, or why it cannot be used. */
export type OpenedDocument =
  | { readonly ok: true; readonly header: DocumentHeader; readonly body: unknown }
  | { readonly ok: false; readonly reason: string };

interface StoredDocument {
  readonly format: string;
  readonly kind: string;
  readonly version: number;
  readonly anchor: DocumentAnchor;
  readonly contentHash: string;
  readonly body: string;
}

function contentHashOf(header: DocumentHeader, bodyText: string): string {
  return sha256Hex(`${canonicalJson({ kind: header.kind, version: header.version, anchor: header.anchor })}\u0000${bodyText}`);
}

/**
 * The stored text of a document: its header, its body as JSON text, and a SHA-256 over both, so that any change to
 * either is detected when it is opened. @throws TypeError when the body is not JSON-serialisable.
 */
export function sealDocument(header: DocumentHeader, body: unknown): string {
  const bodyText = JSON.stringify(body);
  if (bodyText === undefined) throw new TypeError(`sealed document ${header.kind}: the body is not JSON-serialisable`);
  const stored: StoredDocument = {
    format: SEALED_DOCUMENT_FORMAT,
    kind: header.kind,
    version: header.version,
    anchor: { stream: header.anchor.stream, revision: header.anchor.revision, eventHash: header.anchor.eventHash },
    contentHash: contentHashOf(header, bodyText),
    body: bodyText,
  };
  return JSON.stringify(stored);
}

/**
 * Opens a stored document and checks it against itself: the format, the expected kind (and version, when given) and
 * the content hash. It does not look at the log: {@link documentAnchorMatches} does.
 */
export function openDocument(text: string, expected: { readonly kind: string; readonly version?: number }): OpenedDocument {
  let stored: Partial<StoredDocument>;
  try {
    stored = JSON.parse(text) as Partial<StoredDocument>;
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (stored === null || typeof stored !== 'object' || stored.format !== SEALED_DOCUMENT_FORMAT) {
    return { ok: false, reason: `not a sealed document (format ${JSON.stringify((stored as { format?: unknown } | null)?.format ?? null)})` };
  }
  const { kind, version, anchor, contentHash, body } = stored;
  if (typeof kind !== 'string' || typeof version !== 'number' || typeof contentHash !== 'string' || typeof body !== 'string') {
    return { ok: false, reason: 'malformed header' };
  }
  if (
    anchor === null ||
    typeof anchor !== 'object' ||
    typeof anchor.stream !== 'string' ||
    !Number.isSafeInteger(anchor.revision) ||
    anchor.revision < -1 ||
    typeof anchor.eventHash !== 'string'
  ) {
    return { ok: false, reason: 'malformed anchor' };
  }
  const header: DocumentHeader = { kind, version, anchor: { stream: anchor.stream, revision: anchor.revision, eventHash: anchor.eventHash } };
  if (contentHashOf(header, body) !== contentHash) return { ok: false, reason: 'content hash mismatch: the document was altered' };
  if (kind !== expected.kind) return { ok: false, reason: `a ${kind} document where a ${expected.kind} was expected` };
  if (expected.version !== undefined && version !== expected.version) {
    return { ok: false, reason: `version ${version} where ${expected.version} is current` };
  }
  try {
    return { ok: true, header, body: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
}

/**
 * Whether a document's anchor names an event of the log: the event at its revision in its stream exists and has its
 * hash. Returns null when it does, else the reason. (Whether the log up to that event is intact is the chain's check.)
 */
export async function documentAnchorMatches(store: EventStore, anchor: DocumentAnchor, genesisHash: string): Promise<string | null> {
  if (anchor.revision === -1) return anchor.eventHash === genesisHash ? null : 'anchored before the first event with a hash that is not the genesis hash';
  for await (const event of store.readStream(anchor.stream, { fromRevision: anchor.revision })) {
    if (event.metadata.revision !== anchor.revision) return `revision ${anchor.revision} of ${anchor.stream} is missing from the log`;
    return event.metadata.hash === anchor.eventHash
      ? null
      : `built at revision ${anchor.revision} of ${anchor.stream}, whose hash in the log differs (the log or the document changed)`;
  }
  return `built at revision ${anchor.revision} of ${anchor.stream}, which the log does not have (the log was cut or replaced)`;
}
