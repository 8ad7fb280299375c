// The JSON text of a config file as a user wrote it: where each field stands (its line), where the text breaks the JSON
// grammar and how, and keys given twice. Values come from JSON.parse; this only locates and explains.

/** A place in the text, counted from 1. */
export interface TextPlace {
  readonly line: number;
  readonly column: number;
}

/** What a scan of JSON text found. */
export type JsonScan =
  | {
      readonly ok: true;
      /** Where each member key and array element starts, by its path (`strategies[0].allocation`). */
      readonly places: ReadonlyMap<string, TextPlace>;
      /** The first key given twice in one object, if any. */
      readonly duplicate: { readonly key: string; readonly object: string; readonly first: TextPlace; readonly again: TextPlace } | null;
    }
  | { readonly ok: false; readonly at: TextPlace; readonly reason: string };

class JsonTextError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The path of a member (`a.b`, `a[0]`), formatted as config errors name fields. */
export function memberPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Scans JSON text (a byte order mark already removed): the places of its fields and its first duplicate key, or the
 * first place it breaks the grammar with what was expected there.
 */
export function scanJson(text: string): JsonScan {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const placeOf = (offset: number): TextPlace => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
  const places = new Map<string, TextPlace>();
  let duplicate: Extract<JsonScan, { ok: true }>['duplicate'] = null;
  let i = 0;

  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const unexpected = (what: string): never => {
    const c = text[i];
    if (c === undefined) throw new JsonTextError(i, `the text ends where ${what} should be`);
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) throw new JsonTextError(i, 'JSON has no comments: remove it (or put the note in a "metadata" field)');
    if (c === "'") throw new JsonTextError(i, 'names and strings take double quotes ("…"), not single ones');
    throw new JsonTextError(i, `expected ${what}, found ${c === '"' ? 'a string' : JSON.stringify(c)}`);
  };

  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new JsonTextError(i, 'a \\u escape needs four hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new JsonTextError(i, `"\\${e ?? ''}" is not an escape of JSON (a backslash in a path is written "\\\\", or use "/")`);
        }
        continue;
      }
      if (c < 0x20) throw new JsonTextError(i, c === 10 ? 'a string runs past the end of its line (its closing quote is missing)' : 'a control character inside a string must be escaped');
      i++;
    }
    throw new JsonTextError(start, 'a string is never closed (its closing quote is missing)');
  };

  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '-' || m[0] === '') unexpected('a value');
    i += (m as RegExpExecArray)[0].length;
    if (/[0-9.eE]/.test(text[i] ?? '')) throw new JsonTextError(i, 'this is not a number JSON can read (no leading zeros, a digit on each side of the point)');
  };

  const value = (path: string, depth: number): void => {
    if (depth > 512) throw new JsonTextError(i, 'nested more than 512 levels deep');
    space();
    const c = text[i];
    if (c === '{') return object(path, depth);
    if (c === '[') return array(path, depth);
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    const fraction = c === '.' ? /^\.\d+/.exec(text.slice(i, i + 30))?.[0] : undefined;
    if (fraction !== undefined) throw new JsonTextError(i, `a number needs a digit before its point (0${fraction}, not ${fraction})`);
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === '}' || c === ']') {
      const before = text.slice(0, i).trimEnd();
      if (before.endsWith(',')) throw new JsonTextError(before.length - 1, `a comma before "${c}": JSON allows none after the last ${c === '}' ? 'member' : 'element'}`);
    }
    if (c !== undefined && /[A-Za-z]/.test(c)) {
      const word = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i, i + 40))?.[0] ?? c;
      throw new JsonTextError(i, `${JSON.stringify(word)} is not a JSON value: a string takes double quotes ("${word}"); true, false and null are lower case`);
    }
    unexpected('a value');
  };

  /** The text ended inside a container opened at `open`. */
  const unclosed = (close: '}' | ']', open: number, container: string): JsonTextError =>
    new JsonTextError(i, `the text ends inside the ${container} opened at line ${placeOf(open).line} (a "${close}" is missing)`);

  /**
   * After an object's member or a list's element: true when `close` ends the container (consumed), false after a comma.
   * @throws JsonTextError naming the container's opening line when the text ends, or what should come instead.
   */
  const closedAfterItem = (close: '}' | ']', open: number, container: string, item: string): boolean => {
    space();
    if (text[i] === ',') {
      i++;
      return false;
    }
    if (text[i] === close) {
      i++;
      return true;
    }
    if (i >= text.length) throw unclosed(close, open, container);
    return unexpected(`"," or "${close}" after ${item}`);
  };

  const object = (path: string, depth: number): void => {
    const open = i;
    i++;
    const seen = new Map<string, TextPlace>();
    space();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      space();
      if (i >= text.length) throw unclosed('}', open, 'object');
      if (text[i] === '}') throw new JsonTextError(text.slice(0, i).trimEnd().length - 1, 'a comma before "}": JSON allows none after the last member');
      if (text[i] !== '"') {
        if (/[A-Za-z_$]/.test(text[i] ?? '')) throw new JsonTextError(i, 'names and strings take double quotes: a member name is written "name"');
        unexpected('a member name in double quotes');
      }
      const keyAt = i;
      const key = string();
      const place = placeOf(keyAt);
      const first = seen.get(key);
      if (first !== undefined && duplicate === null) duplicate = { key, object: path === '' ? '(root)' : path, first, again: place };
      seen.set(key, place);
      const member = memberPath(path, key);
      places.set(member, place);
      space();
      if (text[i] !== ':') unexpected(`":" after the member name "${key}"`);
      i++;
      value(member, depth + 1);
      if (closedAfterItem('}', open, 'object', 'a member of an object')) return;
    }
  };

  const array = (path: string, depth: number): void => {
    const open = i;
    i++;
    space();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let n = 0; ; n++) {
      space();
      if (i >= text.length) throw unclosed(']', open, 'list');
      places.set(memberPath(path, n), placeOf(i));
      value(memberPath(path, n), depth + 1);
      if (closedAfterItem(']', open, 'list', 'an element of a list')) return;
    }
  };

  try {
    value('', 0);
    space();
    if (i < text.length) {
      if (text[i] === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) unexpected('the end');
      throw new JsonTextError(i, 'more text after the end of the JSON value (a config is one object)');
    }
    return { ok: true, places, duplicate };
  } catch (e) {
    if (e instanceof JsonTextError) return { ok: false, at: placeOf(Math.max(0, e.offset)), reason: e.reason };
    throw e;
  }
}
