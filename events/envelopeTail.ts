// The canonical envelope's tail grammar: reads a stored body's metadata without parsing the envelope as JSON.
import { CURRENT_VERSION, EVENT_TYPES, type EventType } from './catalogue.js';

/** Where the envelope's metadata starts in a canonical body (data can hold this text only as an object's keys; see below). */
const METADATA_KEY = ',"metadata":{"barTime":';
/** A JSON string with nothing escaped in it: the value is the text between the quotes. */
const UNESCAPED = /"([^"\\\u0000-\u001f]*)"/.source;
/**
 * The canonical envelope after the data when none of its strings holds a character JSON escapes: then each string's
 * JSON text is its value between quotes, and this grammar reads what JSON.parse would. Anything else takes the slow path.
 */
const ENVELOPE_TAIL = new RegExp(
  `,"metadata":\\{"barTime":(?:null|${UNESCAPED}),"eventId":${UNESCAPED},"portfolioId":${UNESCAPED},"prevHash":${UNESCAPED},` +
    `"revision":(0|[1-9][0-9]{0,15}),"schemaVersion":(0|[1-9][0-9]{0,15})\\},"type":"([A-Za-z]+)"\\}$`,
  'y',
);
/** The catalogue's own type names, so a decoded event holds no piece of its body. */
const TYPE_NAMES: ReadonlyMap<string, EventType> = new Map(EVENT_TYPES.map((t) => [t, t]));

/** A canonical, current-version body's parts: its metadata as cut from the body, and where its data's JSON lies. */
export interface CanonicalParts {
  readonly type: EventType;
  readonly barTime: string | null;
  readonly eventId: string;
  readonly portfolioId: string;
  readonly prevHash: string;
  /** The data's JSON is `body.slice(DATA_START, dataEnd)`. */
  readonly dataEnd: number;
}

/** Where the data's JSON starts in every canonical body: after `{"data":`. */
export const DATA_START = 8;

/**
 * The parts of `body` when it is a canonical envelope of a current-version event stored at `revision`, else null
 * (escapes in the metadata, an old schema version, another revision, an unknown type: the general decode handles those).
 * The strings returned are cut from `body`; a caller that keeps them long copies them.
 */
export function canonicalParts(body: string, revision: number): CanonicalParts | null {
  // The first occurrence: inside data the text can only be a key "metadata" whose object starts with "barTime" (quotes in
  // strings are escaped), and from there the tail grammar cannot reach the end of the body, so such a row takes the slow path.
  const tail = body.indexOf(METADATA_KEY, DATA_START);
  if (tail <= DATA_START || !body.startsWith('{"data":')) return null;
  ENVELOPE_TAIL.lastIndex = tail;
  const m = ENVELOPE_TAIL.exec(body);
  if (m === null) return null;
  const type = TYPE_NAMES.get(m[7] as string);
  if (type === undefined || Number(m[5]) !== revision || Number(m[6]) !== CURRENT_VERSION[type]) return null;
  return { type, barTime: m[1] ?? null, eventId: m[2] as string, portfolioId: m[3] as string, prevHash: m[4] as string, dataEnd: tail };
}
