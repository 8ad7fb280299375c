// What is wrong with a config, in a user's words, from zod's issues: the field, and for a key or option that is not
// known, the one it is close to. zod's own messages ("Invalid input") name neither a missing field nor a typo.
import { z } from 'zod';
import { didYouMean } from '../nearestName.js';
import { memberPath } from './jsonText.js';

/** The field an issue is about, and what to say about it. */
export interface ConfigIssue {
  readonly field: string;
  readonly message: string;
}

/** `a.b[0].c`, `(root)` for the whole config. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out = memberPath(out, typeof p === 'number' ? p : String(p));
  return out || '(root)';
}

/**
 * A value of a config file as a message shows it: short, in the file's JSON terms (a list, nothing). Values passed to
 * the library are shown by describeValue in src/errors.ts, in JavaScript's.
 */
function describeJsonValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Object.prototype.hasOwnProperty.call(v, p) ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  }
  return v;
}

/** The schema that validates the value at `path` (null where the walk cannot tell), following the input through unions. */
function schemaAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): z.ZodType | null {
  let s: z.ZodType = schema;
  let v = input;
  let i = 0;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
      continue;
    }
    if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
      continue;
    }
    if (s instanceof z.ZodUnion) {
      // The option the value is meant for: the one it passes, else (a discriminated union) the one its kind names.
      const options = s.options as readonly z.ZodType[];
      const kind = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)['kind'] : undefined;
      const chosen =
        options.find((o) => o.safeParse(v).success) ??
        options.find((o) => o instanceof z.ZodObject && (o.shape as Record<string, z.ZodType>)['kind']?.safeParse(kind).success === true);
      if (chosen === undefined) return null;
      s = chosen;
      continue;
    }
    if (i === path.length) return s;
    const key = path[i];
    if (s instanceof z.ZodObject && typeof key === 'string') {
      const next = (s.shape as Record<string, z.ZodType | undefined>)[key];
      if (next === undefined) return null;
      s = next;
    } else if (s instanceof z.ZodArray && typeof key === 'number') {
      s = s.element as z.ZodType;
    } else {
      return null;
    }
    v = valueAt(v, [key]);
    i++;
  }
}

function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  const parent = valueAt(input, path.slice(0, -1));
  const key = path[path.length - 1];
  return parent !== null && typeof parent === 'object' && key !== undefined && !Object.prototype.hasOwnProperty.call(parent, key);
}

/** The start of zod's own messages, which name neither the field's meaning nor a typo. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized key)/;

/** The message of the number checks (`Too small: expected number to be >=0`), in words. */
function rangeWords(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'too_small' && issue.origin === 'number') return `must be ${issue.inclusive ? 'at least' : 'above'} ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `must be ${issue.inclusive ? 'at most' : 'below'} ${String(issue.maximum)}`;
  if (issue.code === 'too_small' && issue.origin === 'string') return 'must not be empty';
  return null;
}

/**
 * The first thing wrong with `input` by `schema`'s issues, said so that a user can fix it. A key that is not known is
 * said first: a misspelt key also leaves the field it meant missing, and the typo is what to fix.
 */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown): ConfigIssue {
  const issue = issues.find((x) => x.code === 'unrecognized_keys') ?? issues[0];
  if (issue === undefined) return { field: '(root)', message: 'invalid' };
  const field = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  // A message the schema gives itself (`must be a whole number of bars`) already says it in words.
  if (!ZOD_DEFAULT_MESSAGE.test(issue.message) && !isMissing(input, issue.path)) return { field, message: issue.message };
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const known = schemaAt(schema, input, issue.path);
      const names = known instanceof z.ZodObject ? Object.keys(known.shape as object) : [];
      const where = issue.path.length === 0 ? 'the portfolio config' : field;
      const list = names.length > 0 ? ` (its fields: ${names.join(', ')})` : '';
      const near = didYouMean(key, names);
      return { field: formatPath([...issue.path, key]), message: `not a field of ${where}${near === '' ? list : near}` };
    }
    case 'invalid_value': {
      const options = issue.values.map((o) => String(o));
      const given = typeof value === 'string' ? value : '';
      return { field, message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}; got ${JSON.stringify(value)}${didYouMean(given, options)}` };
    }
    case 'invalid_union': {
      if (isMissing(input, issue.path)) return { field, message: 'required, and missing' };
      if ('options' in issue && Array.isArray(issue.options)) {
        const options = (issue.options as unknown[]).map((o) => String(o));
        return { field, message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}; got ${JSON.stringify(value) ?? 'nothing'}${didYouMean(typeof value === 'string' ? value : '', options)}` };
      }
      const expected = issue.errors.flat().map((e) => (e.code === 'invalid_type' ? e.expected : null));
      if (expected.includes('string') && expected.includes('number')) {
        return { field, message: `must be a decimal number, as a string (e.g. "1000000") or a number; got ${describeJsonValue(value)}` };
      }
      return { field, message: issue.message };
    }
    case 'invalid_type': {
      if (isMissing(input, issue.path)) return { field, message: 'required, and missing' };
      const words: Readonly<Record<string, string>> = { record: 'an object', object: 'an object', array: 'a list', int: 'a whole number' };
      const expected = words[issue.expected] ?? `a ${issue.expected}`;
      return { field, message: `must be ${expected}, got ${describeJsonValue(value)}` };
    }
    default:
      return { field, message: rangeWords(issue) ?? issue.message };
  }
}
