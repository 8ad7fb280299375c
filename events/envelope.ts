// Sealing domain events into the log: deterministic ids, revisions, and the SHA-256 hash chain; and decoding them back.
import { createHash } from 'node:crypto';
import { canonicalJson, jsonString } from './canonicalJson.js';
import {
  CURRENT_VERSION,
  UPCASTERS,
  eventDataSchemas,
  isEventType,
  type DomainEvent,
  type EventType,
} from './catalogue.js';
import { CorruptEventError, InvalidEventError, type EventLocation } from './errors.js';
import { DATA_START, canonicalParts } from './envelopeTail.js';
import { sha256Hex } from './sha256.js';
import { deepFreeze } from '../src/records/deepFreeze.js';

export { sha256Hex };

/** prevHash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Metadata every stored event carries. `hash` covers everything else in the event. */
export interface EventMetadata {
  readonly eventId: string;
  readonly portfolioId: string;
  /** Position of the event in its stream, from 0. */
  readonly revision: number;
  /** Bar time of the slice that produced the event (null for events outside any slice). */
  readonly barTime: string | null;
  readonly schemaVersion: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** A domain event sealed for the log. */
export type SealedEvent = DomainEvent & { readonly metadata: EventMetadata };

/** A sealed event as read back from a store, with its stream and global position. */
export type RecordedEvent = SealedEvent & { readonly stream: string; readonly position: number };

/** The stream that holds a portfolio's events. */
export function portfolioStream(portfolioId: string): string {
  return `portfolio-${portfolioId}`;
}

/** Per-portfolio UUID prefixes: the id of an event is its portfolio's prefix plus its revision. */
const idPrefixes = new Map<string, string>();

/**
 * Deterministic event id (UUID form) from portfolio id and revision, so a retried append is recognised:
 * 76 bits of SHA-256 of the portfolio id, then the revision in the last 48 bits.
 * @throws RangeError for a revision that is not an integer in [0, 2^48).
 */
export function eventIdFor(portfolioId: string, revision: number): string {
  if (!Number.isSafeInteger(revision) || revision < 0 || revision >= 2 ** 48) throw new RangeError(`event revision ${String(revision)} is out of range`);
  let prefix = idPrefixes.get(portfolioId);
  if (prefix === undefined) {
    const h = createHash('sha256').update(`stratafolio-event\u0000${portfolioId}`).digest('hex');
    // Version nibble 8 (custom, RFC 9562) and the RFC variant bits make it a valid UUID for EventStoreDB.
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    prefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-`;
    if (idPrefixes.size > 10_000) idPrefixes.clear();
    idPrefixes.set(portfolioId, prefix);
  }
  return prefix + revision.toString(16).padStart(12, '0');
}

/** The canonical text that an event's hash covers: the event without `metadata.hash`. */
export function eventBody(event: { type: string; data: unknown; metadata: Omit<EventMetadata, 'hash'> | EventMetadata }): string {
  const m = event.metadata;
  return bodyOf(event.type, canonicalJson(event.data), m.barTime, m.eventId, m.portfolioId, m.prevHash, m.revision, m.schemaVersion);
}

/** The same bytes as canonicalJson({ data, metadata (without hash), type }), written directly: keys in sorted order. */
function bodyOf(
  type: string,
  dataJson: string,
  barTime: string | null,
  eventId: string,
  portfolioId: string,
  prevHash: string,
  revision: number,
  schemaVersion: number,
): string {
  return (
    `{"data":${dataJson},"metadata":{"barTime":${barTime === null ? 'null' : text(barTime)},"eventId":${text(eventId)},` +
    `"portfolioId":${text(portfolioId)},"prevHash":${text(prevHash)},` +
    `"revision":${canonicalJson(revision)},"schemaVersion":${canonicalJson(schemaVersion)}},"type":${text(type)}}`
  );
}

/** JSON of a metadata value: typed as a string, but an event offered by a caller may carry anything. */
function text(value: unknown): string {
  return typeof value === 'string' ? jsonString(value) : canonicalJson(value);
}

/**
 * An event sealed in this process: it keeps the canonical body it was hashed from (its payload validated at sealing),
 * so stores need not serialise or validate it again. The body is a private field: invisible to JSON, spreads and
 * equality; a spread copy (`{ ...event }`) is an ordinary event again and is checked in full when stored.
 * (A WeakMap entry per event cost the collector ≈ 0.8 µs; a non-enumerable property ≈ 0.2 µs; this ≈ 0.05 µs.)
 */
class Sealed {
  readonly #body: string;
  constructor(
    readonly type: EventType,
    readonly data: unknown,
    readonly metadata: EventMetadata,
    body: string,
  ) {
    this.#body = body;
    // Frozen because the store writes #body, not `data`: an edit after sealing would make memory and log disagree.
    // Cost: ≈ 9 µs for a 100-strategy BarMarked, well under 1 µs for an order or fill (≈ 1% of the engine bench).
    deepFreeze(data);
    Object.freeze(this);
  }

  /** The body `event` was sealed with here, if it was. */
  static bodyOf(event: object): string | undefined {
    return #body in event ? (event as Sealed).#body : undefined;
  }
}

/** Where the next sealed event goes: the portfolio, the next revision and the hash of the event before it. */
export interface ChainHead {
  readonly portfolioId: string;
  readonly nextRevision: number;
  readonly prevHash: string;
}

/** An event to seal with the bar time of the slice that produced it. */
export interface PendingEvent {
  readonly event: DomainEvent;
  readonly barTime: string | null;
}

/** How {@link sealEvents} treats the payloads it is given. */
export interface SealOptions {
  /**
   * Check each payload against its schema (default true). Only the engine's decide steps pass false: they build every
   * payload from typed values, so the check could not change a result (the unit and e2e suites validate what they
   * write with `audit --verify`). Anything else offered to a store is validated at the store's boundary.
   */
  readonly validate?: boolean;
}

/**
 * Seals events onto a chain head: validates each payload (unless told it need not), assigns ids and revisions, links and hashes them. Each sealed
 * event and its data are frozen: the data passed in becomes the event's (copy it first to keep changing it).
 * @throws InvalidEventError when a payload does not match its schema.
 */
export function sealEvents(
  head: ChainHead,
  pending: readonly PendingEvent[],
  options: SealOptions = {},
): { events: SealedEvent[]; head: ChainHead } {
  const events: SealedEvent[] = [];
  const portfolioId = head.portfolioId;
  const validate = options.validate ?? true;
  let prevHash = head.prevHash;
  let revision = head.nextRevision;
  for (const { event, barTime } of pending) {
    const type = event.type;
    if (validate) {
      const parsed = eventDataSchemas[type].safeParse(event.data);
      if (!parsed.success) {
        throw new InvalidEventError(`${type} (revision ${revision}) is invalid: ${describeIssues(parsed.error.issues)}`);
      }
    }
    const eventId = eventIdFor(portfolioId, revision);
    const schemaVersion = CURRENT_VERSION[type];
    const body = bodyOf(type, canonicalJson(event.data), barTime, eventId, portfolioId, prevHash, revision, schemaVersion);
    const hash = sha256Hex(body);
    const metadata: EventMetadata = Object.freeze({ eventId, portfolioId, revision, barTime, schemaVersion, prevHash, hash });
    events.push(new Sealed(type, event.data, metadata, body) as SealedEvent);
    prevHash = hash;
    revision += 1;
  }
  return { events, head: { portfolioId, nextRevision: revision, prevHash } };
}

/** Encodes a sealed event for storage, checking its schema and that its hash covers its body. @throws InvalidEventError */
export function encodeForStore(event: SealedEvent): { body: string; hash: string } {
  // An event sealed here was validated then; its body is exactly what its hash covers, so it is stored as sealed:
  // 0.02 µs per event against 110 µs to re-check, re-encode and re-hash a 100-strategy BarMarked (bench hotPaths).
  const sealedBody = Sealed.bodyOf(event);
  if (sealedBody !== undefined) return { body: sealedBody, hash: event.metadata.hash };
  if (!isEventType(event.type)) throw new InvalidEventError(`unknown event type "${String(event.type)}"`);
  const parsed = eventDataSchemas[event.type].safeParse(event.data);
  if (!parsed.success) {
    throw new InvalidEventError(
      `${event.type} (revision ${event.metadata.revision}) is invalid: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const body = eventBody(event);
  const hash = sha256Hex(body);
  if (hash !== event.metadata.hash) {
    throw new InvalidEventError(`${event.type} (revision ${event.metadata.revision}) has a hash that does not match its content`);
  }
  return { body, hash };
}

/**
 * Decodes a stored body: checks the hash and the envelope, upcasts old versions and validates their payload.
 * A current-version payload whose hash matches is not validated again: every write path validated exactly these
 * bytes (see docs/event-store.md); `audit --verify` ({@link invalidEventData}) still checks every payload.
 * @throws CorruptEventError naming stream, revision and position.
 */
export function decodeStored(body: string, hash: string, at: EventLocation): RecordedEvent {
  return decodeStoredAt(body, hash, at.stream, at.revision, at.position);
}

/**
 * Strings a reader keeps from row to row, so decoded events share them: the previous row's hash (the next row's
 * prevHash), the last bar time and portfolio id. A value cut from a body would keep the whole body alive (V8 keeps a
 * long substring as a view of its parent), which costs a consumer holding many events about 350 bytes each.
 */
export interface DecodeReuse {
  hash: string;
  barTime: string | null;
  portfolioId: string;
}

/** A fresh {@link DecodeReuse} for one read. */
export function decodeReuse(): DecodeReuse {
  return { hash: '', barTime: null, portfolioId: '' };
}

/** A copy of `s` that shares no memory with the body it was cut from. */
function detached(s: string): string {
  return (s + ' ').slice(0, -1);
}

/**
 * {@link decodeStored} with the location passed flat, so a reader decoding millions of rows builds no location
 * object unless a row is corrupt; a reader passes one {@link DecodeReuse} for all its rows.
 * A canonical body (what every write stores) is read without parsing the envelope as JSON: its metadata is matched
 * by {@link canonicalParts} and only the data is parsed. Any row that does not fit (escapes, an old schema version,
 * a revision other than the row's, JSON errors) is decoded by the general path, whose checks and messages are the full ones.
 * @throws CorruptEventError naming stream, revision and position.
 */
export function decodeStoredAt(
  body: string,
  hash: string,
  stream: string,
  revision: number,
  position: number,
  reuse: DecodeReuse = decodeReuse(),
): RecordedEvent {
  if (sha256Hex(body) !== hash) throw corrupt(stream, revision, position, 'hash mismatch: the stored event was altered');
  return decodeHashChecked(body, hash, stream, revision, position, reuse);
}

/**
 * {@link decodeStoredAt} of a row whose body was checked against its hash already: only for a reader whose rows a
 * read-ahead worker hashed on its own thread. Every other check is the same.
 * @throws CorruptEventError naming stream, revision and position.
 */
export function decodeHashChecked(
  body: string,
  hash: string,
  stream: string,
  revision: number,
  position: number,
  reuse: DecodeReuse = decodeReuse(),
): RecordedEvent {
  const parts = canonicalParts(body, revision);
  if (parts !== null) {
    let data: unknown;
    try {
      data = JSON.parse(body.slice(DATA_START, parts.dataEnd));
    } catch {
      return decodeParsed(body, hash, stream, revision, position);
    }
    const { type, barTime, portfolioId, prevHash } = parts;
    if (barTime !== reuse.barTime) reuse.barTime = barTime === null ? null : detached(barTime);
    if (portfolioId !== reuse.portfolioId) reuse.portfolioId = detached(portfolioId);
    const metadata: EventMetadata = {
      barTime: reuse.barTime,
      eventId: detached(parts.eventId),
      portfolioId: reuse.portfolioId,
      prevHash: prevHash === reuse.hash ? reuse.hash : detached(prevHash),
      revision,
      schemaVersion: CURRENT_VERSION[type],
      hash,
    };
    reuse.hash = hash;
    return { type, data, metadata, stream, position } as RecordedEvent;
  }
  return decodeParsed(body, hash, stream, revision, position);
}

/** The general decode of a body whose hash matched: JSON.parse of the whole, every envelope check, upcast and validation of old versions. */
function decodeParsed(body: string, hash: string, stream: string, revision: number, position: number): RecordedEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    throw corrupt(stream, revision, position, `unparseable JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw corrupt(stream, revision, position, 'not a JSON object');
  const { type, data, metadata } = raw as { type?: unknown; data?: unknown; metadata?: unknown };
  if (typeof type !== 'string' || !isEventType(type)) throw corrupt(stream, revision, position, `unknown event type "${String(type)}"`);
  const meta = metadata as Partial<{ -readonly [K in keyof EventMetadata]: EventMetadata[K] }> | undefined;
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof meta.eventId !== 'string' ||
    typeof meta.portfolioId !== 'string' ||
    meta.revision !== revision ||
    typeof meta.schemaVersion !== 'number' ||
    typeof meta.prevHash !== 'string' ||
    !(meta.barTime === null || typeof meta.barTime === 'string')
  ) {
    throw corrupt(stream, revision, position, 'malformed metadata');
  }
  let payload = data;
  if (meta.schemaVersion !== CURRENT_VERSION[type]) {
    // An upcast payload is new data that no write validated.
    payload = upcastData(type, meta.schemaVersion, data, { stream, revision, position });
    const parsed = eventDataSchemas[type].safeParse(payload);
    if (!parsed.success) throw corrupt(stream, revision, position, `${type} violates its schema: ${describeIssues(parsed.error.issues)}`);
  }
  // The parsed metadata object is fresh from JSON.parse and owned by this call, so it is completed in place.
  meta.hash = hash;
  return { type, data: payload, metadata: meta, stream, position } as RecordedEvent;
}

/**
 * Why an event's payload breaks the current schema of its type, or null when it is valid: the check reads skip for
 * current-version rows, run by `audit --verify` on every event.
 */
export function invalidEventData(event: { readonly type: string; readonly data: unknown }): string | null {
  if (!isEventType(event.type)) return `unknown event type "${event.type}"`;
  const parsed = eventDataSchemas[event.type].safeParse(event.data);
  return parsed.success ? null : `${event.type} violates its schema: ${describeIssues(parsed.error.issues)}`;
}

function corrupt(stream: string, revision: number, position: number, reason: string): CorruptEventError {
  return new CorruptEventError({ stream, revision, position }, reason);
}

function upcastData(type: EventType, version: number, data: unknown, at: EventLocation): unknown {
  const current = CURRENT_VERSION[type];
  if (version > current) throw new CorruptEventError(at, `${type} v${version} is newer than this stratafolio understands (v${current})`);
  let out = data as Record<string, unknown>;
  for (let v = version; v < current; v += 1) {
    const up = UPCASTERS[`${type}@${v}`];
    if (!up) throw new CorruptEventError(at, `no upcaster from ${type} v${v}`);
    out = up(out);
  }
  return out;
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
