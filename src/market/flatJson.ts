// A reader for one JSON object per line that keeps each number's source text, so decimals never pass through a binary float.

/** A top-level value of a flat JSON object: numbers keep their text; nested objects and arrays are only syntax-checked. */
export type FlatJsonValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'literal'; readonly value: boolean | null }
  | { readonly kind: 'nested' };

/** A JSON syntax problem at a character position (0-based) of the text. */
export class FlatJsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'FlatJsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses a JSON object, returning its top-level members in order (a repeated key is an error).
 * @throws FlatJsonSyntaxError when the text is not one JSON object.
 */
export function parseFlatJsonObject(text: string): Map<string, FlatJsonValue> {
  const reader = new Reader(text);
  const members = new Map<string, FlatJsonValue>();
  reader.skipWhitespace();
  reader.expect('{', 'a JSON object');
  reader.skipWhitespace();
  if (reader.peek() === '}') {
    reader.pos += 1;
  } else {
    for (;;) {
      reader.skipWhitespace();
      const keyAt = reader.pos;
      if (reader.peek() !== '"') throw new FlatJsonSyntaxError('expected a member name in double quotes', reader.pos);
      const key = reader.string();
      if (members.has(key)) throw new FlatJsonSyntaxError(`member "${key}" appears twice`, keyAt);
      reader.skipWhitespace();
      reader.expect(':', '":"');
      reader.skipWhitespace();
      members.set(key, reader.value());
      reader.skipWhitespace();
      const c = reader.peek();
      reader.pos += 1;
      if (c === ',') continue;
      if (c === '}') break;
      throw new FlatJsonSyntaxError('expected "," or "}"', reader.pos - 1);
    }
  }
  reader.skipWhitespace();
  if (reader.pos < text.length) throw new FlatJsonSyntaxError('unexpected text after the object', reader.pos);
  return members;
}

class Reader {
  pos = 0;

  constructor(private readonly text: string) {}

  peek(): string {
    return this.text.charAt(this.pos);
  }

  skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos += 1;
    }
  }

  expect(char: string, what: string): void {
    if (this.peek() !== char) throw new FlatJsonSyntaxError(`expected ${what}`, this.pos);
    this.pos += 1;
  }

  string(): string {
    const start = this.pos;
    let i = start + 1;
    let plain = true;
    for (;;) {
      const c = this.text.charCodeAt(i);
      if (Number.isNaN(c)) throw new FlatJsonSyntaxError('unterminated string', start);
      if (c === 0x22) break;
      if (c < 0x20) throw new FlatJsonSyntaxError('raw control character in a string (escape it)', i);
      if (c === 0x5c) {
        plain = false;
        i += 2;
      } else {
        i += 1;
      }
    }
    this.pos = i + 1;
    if (plain) return this.text.slice(start + 1, i);
    // JSON.parse of the token alone decodes and checks escapes exactly as the standard says.
    return this.parsed(start, this.pos) as string;
  }

  value(): FlatJsonValue {
    const c = this.peek();
    if (c === '"') return { kind: 'string', value: this.string() };
    if (c === '{' || c === '[') {
      const start = this.pos;
      this.skipNested();
      this.parsed(start, this.pos);
      return { kind: 'nested' };
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: 'literal', value };
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) throw new FlatJsonSyntaxError('expected a JSON value', this.pos);
    this.pos = NUMBER.lastIndex;
    return { kind: 'number', text: m[0] };
  }

  private skipNested(): void {
    let depth = 0;
    for (;;) {
      const c = this.peek();
      if (c === '') throw new FlatJsonSyntaxError('unterminated object or array', this.pos);
      if (c === '"') {
        this.string();
        continue;
      }
      this.pos += 1;
      if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) return;
      }
    }
  }

  private parsed(start: number, end: number): unknown {
    try {
      return JSON.parse(this.text.slice(start, end)) as unknown;
    } catch (e) {
      throw new FlatJsonSyntaxError(e instanceof Error ? e.message : 'invalid JSON', start);
    }
  }
}
