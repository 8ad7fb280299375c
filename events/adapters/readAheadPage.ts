// The page formats between the read-ahead workers and the reader. SQLite's: columns, with every row's data in one JSON
// text; columns and one data text cost one structured clone per page instead of one per row (docs/event-store.md,
// "Read-ahead"). PostgreSQL's: the rows its worker checked (checkedRows.ts), decoded here.
import { decodeHashChecked, decodeReuse, decodeStoredAt, sha256Hex, type EventMetadata, type RecordedEvent } from '../envelope.js';
import { CURRENT_VERSION, EVENT_TYPES, type EventType } from '../catalogue.js';
import { DATA_START, canonicalParts } from '../envelopeTail.js';
import type { CheckedRows } from './checkedRows.js';

/** A stored row as the worker reads it: position, revision, body, hash, and its stream when a read spans streams. */
export type StoredRowTuple = readonly [position: number, revision: number, body: string, hash: string, stream?: string];

/** Values that change now and then, as flat pairs `[row, value, row, value, …]`: the value holds from its row on. */
type Runs<T> = (number | T)[];

/**
 * A page of rows whose hashes the worker checked. A canonical current-version row is sent as columns with its data's
 * JSON spliced into `data` (so the reader parses only data and builds the metadata from the columns); any other row
 * is sent whole in `bodies` and decoded in full by the reader. Strings the reader would otherwise parse per row
 * (bar time, portfolio id, stream, a prevHash that is the row before's hash) are sent only where they change.
 */
export interface EncodedPage {
  readonly count: number;
  /** The row after the last one failed its hash: the reader reads on in-thread, where it raises the error. */
  readonly cut: boolean;
  /** JSON array of each row's data (null for a row sent whole). */
  readonly data: string;
  readonly positions: number[];
  readonly revisions: number[];
  /** Every row's hash (64 hex characters): strings of their own, which clone cheaper than one joined and cut again. */
  readonly hashes: string[];
  /** Each row's index in EVENT_TYPES, or -1 for a row sent whole. */
  readonly types: number[];
  /** Every row's event id, each followed by {@link ID_END} (unescaped metadata strings hold no control character). */
  readonly eventIds: string;
  readonly barTimes: Runs<string | null>;
  readonly portfolioIds: Runs<string>;
  readonly streams: Runs<string>;
  /** Where a row's prevHash is not the hash of the row before it. */
  readonly prevHashes: Runs<string>;
  /** Rows sent whole: `[row, body, …]`. */
  readonly bodies: Runs<string>;
}

/** Ends each event id in {@link EncodedPage.eventIds}: one string crosses threads far cheaper than thousands. */
const ID_END = '\u0001';
const TYPE_INDEX: ReadonlyMap<EventType, number> = new Map(EVENT_TYPES.map((t, i) => [t, i]));
const HASH_LENGTH = 64;

/**
 * Encodes rows in order, stopping before the first whose hash does not match its body. A read of one stream passes it
 * as `stream` and its rows carry none (one string fewer to fetch per row).
 */
export function encodeReadAheadPage(rows: readonly StoredRowTuple[], stream?: string): EncodedPage {
  const page = {
    count: 0,
    cut: false,
    data: '',
    positions: [] as number[],
    revisions: [] as number[],
    hashes: [] as string[],
    types: [] as number[],
    eventIds: '',
    barTimes: [] as Runs<string | null>,
    portfolioIds: [] as Runs<string>,
    streams: [] as Runs<string>,
    prevHashes: [] as Runs<string>,
    bodies: [] as Runs<string>,
  };
  // Texts grow by concatenation: V8 keeps them as ropes that postMessage flattens in one copy, where join() of the
  // cut pieces costs a copy of its own (≈ 0.25 µs per row less, clone included; engine-shaped rebuild ≈ 271–287k → 283–301k events/s).
  let data = '[';
  let eventIds = '';
  // undefined: the next fast row states its value (at the start, and after a row sent whole).
  let barTime: string | null | undefined;
  let portfolioId: string | undefined;
  let lastStream: string | undefined;
  let lastHash: string | undefined;
  for (let i = 0; i < rows.length; i += 1) {
    const [position, revision, body, hash, rowStream = stream] = rows[i] as StoredRowTuple;
    if (hash.length !== HASH_LENGTH || sha256Hex(body) !== hash) {
      page.cut = true;
      break;
    }
    page.positions.push(position);
    page.revisions.push(revision);
    page.hashes.push(hash);
    if (rowStream === undefined) throw new Error('a page row without a stream');
    if (rowStream !== lastStream) page.streams.push(i, rowStream);
    lastStream = rowStream;
    const parts = canonicalParts(body, revision);
    if (parts === null) {
      page.types.push(-1);
      eventIds += ID_END;
      page.bodies.push(i, body);
      data += i === 0 ? 'null' : ',null';
      barTime = undefined;
      portfolioId = undefined;
    } else {
      page.types.push(TYPE_INDEX.get(parts.type) as number);
      eventIds += parts.eventId;
      eventIds += ID_END;
      if (parts.barTime !== barTime) page.barTimes.push(i, parts.barTime);
      if (parts.portfolioId !== portfolioId) page.portfolioIds.push(i, parts.portfolioId);
      if (parts.prevHash !== lastHash) page.prevHashes.push(i, parts.prevHash);
      if (i > 0) data += ',';
      data += body.slice(DATA_START, parts.dataEnd);
      barTime = parts.barTime;
      portfolioId = parts.portfolioId;
    }
    lastHash = hash;
  }
  page.count = page.positions.length;
  page.data = `${data}]`;
  page.eventIds = eventIds;
  return page;
}

/** A decoded page: its events, and the error to raise after them (a row whose full decode failed). */
export interface DecodedReadAheadPage {
  readonly events: RecordedEvent[];
  readonly error?: unknown;
}

/**
 * Decodes a page, or returns null when it is not well formed (the reader then reads those rows in-thread, where any
 * fault is reported with its full message).
 */
export function decodeReadAheadPage(page: EncodedPage): DecodedReadAheadPage | null {
  const count = page.count;
  let data: unknown;
  try {
    data = JSON.parse(page.data);
  } catch {
    return null;
  }
  if (
    !Array.isArray(data) ||
    data.length !== count ||
    page.positions.length !== count ||
    page.revisions.length !== count ||
    page.types.length !== count ||
    page.hashes.length !== count
  ) {
    return null;
  }
  const events: RecordedEvent[] = [];
  const reuse = decodeReuse();
  const { barTimes, portfolioIds, streams, prevHashes, bodies } = page;
  let b = 0;
  let p = 0;
  let s = 0;
  let h = 0;
  let w = 0;
  let barTime: string | null = null;
  let portfolioId = '';
  let stream = '';
  let lastHash = '';
  let idStart = 0;
  for (let i = 0; i < count; i += 1) {
    const idEnd = page.eventIds.indexOf(ID_END, idStart);
    if (idEnd < 0) return null;
    const eventId = page.eventIds.slice(idStart, idEnd);
    idStart = idEnd + 1;
    const position = page.positions[i] as number;
    const revision = page.revisions[i] as number;
    const hash = page.hashes[i];
    if (typeof hash !== 'string' || hash.length !== HASH_LENGTH) return null;
    if (streams[s] === i) {
      stream = streams[s + 1] as string;
      s += 2;
    }
    const typeIndex = page.types[i] as number;
    if (typeIndex >= 0) {
      const type = EVENT_TYPES[typeIndex];
      if (type === undefined) return null;
      if (barTimes[b] === i) {
        barTime = barTimes[b + 1] as string | null;
        b += 2;
      }
      if (portfolioIds[p] === i) {
        portfolioId = portfolioIds[p + 1] as string;
        p += 2;
      }
      let prevHash = lastHash;
      if (prevHashes[h] === i) {
        prevHash = prevHashes[h + 1] as string;
        h += 2;
      }
      const metadata: EventMetadata = {
        barTime,
        eventId,
        portfolioId,
        prevHash,
        revision,
        schemaVersion: CURRENT_VERSION[type],
        hash,
      };
      events.push({ type, data: data[i], metadata, stream, position } as RecordedEvent);
    } else {
      if (bodies[w] !== i) return null;
      const body = bodies[w + 1] as string;
      w += 2;
      try {
        reuse.hash = lastHash;
        events.push(decodeStoredAt(body, hash, stream, revision, position, reuse));
      } catch (error) {
        return { events, error };
      }
    }
    lastHash = hash;
  }
  return { events };
}

/**
 * Decodes rows a worker checked against their hashes ({@link CheckedRows}) as an in-thread read does, without hashing
 * them again; null when the page is not well formed (the reader then reads those rows in-thread).
 */
export function decodeCheckedRows(page: CheckedRows): DecodedReadAheadPage | null {
  const { count, positions, revisions, ends, bytes, streams } = page;
  if (positions.length < count || revisions.length < count || ends.length < count || (count > 0 && streams[0] !== 0)) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: RecordedEvent[] = [];
  const reuse = decodeReuse();
  let s = 0;
  let stream = '';
  let start = 0;
  for (let i = 0; i < count; i += 1) {
    const end = ends[i] as number;
    const bodyEnd = end - HASH_LENGTH;
    if (bodyEnd < start || end > text.length) return null;
    if (streams[s] === i) {
      stream = streams[s + 1] as string;
      s += 2;
    }
    const body = text.toString('utf8', start, bodyEnd);
    const hash = text.toString('latin1', bodyEnd, end);
    start = end;
    try {
      events.push(decodeHashChecked(body, hash, stream, revisions[i] as number, positions[i] as number, reuse));
    } catch (error) {
      return { events, error };
    }
  }
  return { events };
}
