// Header parsing for the CSV sources: case-insensitive column lookup, missing and duplicate columns as DataError.
import { DataError, quoteStart } from '../errors.js';

/** Column positions of a CSV header, looked up by lower-cased name. */
export interface CsvHeader {
  /** Header cells as written (trimmed). */
  readonly names: readonly string[];
  /** Position of each lower-cased name. */
  readonly index: ReadonlyMap<string, number>;
}

/**
 * Reads a header record and checks that every name in `required` is present once. Names are compared ignoring case,
 * unless `exactNames` (a wide file's symbols, which are case-sensitive as in the other formats: `AAA` and `aaa` are two).
 * @throws DataError (line of the header, column of the offending name) for an empty, duplicate or missing column.
 */
export function csvHeader(file: string, line: number, cells: readonly string[], required: readonly string[], exactNames = false): CsvHeader {
  separatorProblem(file, line, cells);
  const index = new Map<string, number>();
  const seen = new Set<string>();
  cells.forEach((cell, i) => {
    const key = cell.trim().toLowerCase();
    if (key === '' && i > 0) throw new DataError(`header column ${i + 1} has no name`, { file, line, column: String(i + 1) });
    const name = exactNames ? cell.trim() : key;
    if (seen.has(name)) throw new DataError(`duplicate column "${cell.trim()}" in the header`, { file, line, column: cell.trim() });
    seen.add(name);
    if (!index.has(key)) index.set(key, i);
  });
  for (const name of required) {
    if (!index.has(name)) {
      throw new DataError(`missing column "${name}" (the header is ${quoteStart(cells.join(','), 200)}; expected ${required.join(',')})`, {
        file,
        line,
        column: name,
      });
    }
  }
  return { names: cells.map((c) => c.trim()), index };
}

/**
 * A header that is one cell holding semicolons or tabs is a file with another separator (Excel writes semicolons where
 * the decimal separator is a comma): said as such, rather than as a missing column named after the whole line.
 * @throws DataError (line of the header, column 1)
 */
function separatorProblem(file: string, line: number, cells: readonly string[]): void {
  if (cells.length !== 1) return;
  const cell = cells[0] ?? '';
  const shown = cell.includes(';') ? '";"' : cell.includes('\t') ? 'tabs' : null;
  if (shown === null) return;
  throw new DataError(
    `the header is one column whose names are separated by ${shown}, not commas: save the file as comma-separated CSV, with a point as the decimal separator`,
    { file, line, column: '1' },
  );
}

/**
 * Checks that a data record has as many fields as the header.
 * @throws DataError naming the first missing column, or the first extra field by position.
 */
export function checkFieldCount(file: string, line: number, fields: readonly string[], header: CsvHeader): void {
  if (fields.length === header.names.length) return;
  const column =
    fields.length < header.names.length ? (header.names[fields.length] ?? String(fields.length + 1)) : String(header.names.length + 1);
  throw new DataError(`the row has ${fields.length} fields but the header has ${header.names.length}`, { file, line, column });
}

/** The error for a file with no header line. */
export function emptyFileError(file: string, expected: string): DataError {
  return new DataError(`the file is empty: expected a header line "${expected}"`, {
    file,
    line: 1,
    column: expected.split(',')[0] ?? expected,
  });
}
