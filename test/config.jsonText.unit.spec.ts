// Where JSON text breaks the grammar, said in a user's words, and where each field of a valid text stands.
import { describe, expect, it } from 'vitest';
import { scanJson } from '../src/config/jsonText.js';

function failure(text: string): string {
  const scan = scanJson(text);
  if (scan.ok) throw new Error('expected a syntax error');
  return `${scan.at.line}:${scan.at.column} ${scan.reason}`;
}

describe('scanJson', () => {
  it.each([
    ['{\n  "id": "x,\n  "name": "y"\n}', '2:12 a string runs past the end of its line (its closing quote is missing)'],
    ['{\n  "capital": NaN\n}', '2:14 "NaN" is not a JSON value: a string takes double quotes ("NaN"); true, false and null are lower case'],
    ['{\n  "x": 01\n}', '2:9 this is not a number JSON can read (no leading zeros, a digit on each side of the point)'],
    ['{\n  "x": .5\n}', '2:8 a number needs a digit before its point (0.5, not .5)'],
    ['{\n  "x": "C:\\Users"\n}', '2:11 "\\U" is not an escape of JSON (a backslash in a path is written "\\\\", or use "/")'],
    ['{\n  "x": 1\n}\n}', '4:1 more text after the end of the JSON value (a config is one object)'],
    ['{\n  "x": [1, 2,]\n}', '2:13 a comma before "]": JSON allows none after the last element'],
    ['{\n  "x": [1 2]\n}', '2:11 expected "," or "]" after an element of a list, found "2"'],
    ['{\n  x: 1\n}', '2:3 names and strings take double quotes: a member name is written "name"'],
    ['{\n  "x" 1\n}', '2:7 expected ":" after the member name "x", found "1"'],
    ['{\n  "a": 1 /* why */\n}', '2:10 JSON has no comments: remove it (or put the note in a "metadata" field)'],
    ['[\n', '2:1 the text ends inside the list opened at line 1 (a "]" is missing)'],
  ])('%j → %s', (text, expected) => {
    expect(failure(text)).toBe(expected);
  });

  it('gives the line of each member and element, and the first key given twice', () => {
    const scan = scanJson('{\n  "a": 1,\n  "s": [\n    { "id": "x" },\n    { "id": "y", "id": "z" }\n  ]\n}');
    if (!scan.ok) throw new Error(scan.reason);
    expect(scan.places.get('a')?.line).toBe(2);
    expect(scan.places.get('s[1]')?.line).toBe(5);
    expect(scan.places.get('s[0].id')).toEqual({ line: 4, column: 7 });
    expect(scan.duplicate).toEqual({ key: 'id', object: 's[1]', first: { line: 5, column: 7 }, again: { line: 5, column: 18 } });
  });
});
