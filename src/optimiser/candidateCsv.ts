// Reads the optimiser's CSV inputs (candidates `symbol,score,price[,sector]`, current weights `symbol,weight`) with exact locations in errors.
import { parse } from 'csv-parse/sync';
import { DataError } from '../errors.js';
import { dec } from '../money/decimal.js';
import type { Candidate } from './types.js';

interface Row {
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
}

const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function rows(text: string, file: string, required: readonly string[], optional: readonly string[]): Row[] {
  let records: string[][];
  try {
    // One record per physical line (empty lines kept), so a record's index gives its line number.
    records = parse(text, { skip_empty_lines: false, relax_column_count: true, trim: true, bom: true });
  } catch (err) {
    throw new DataError(`not valid CSV: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const header = records[0];
  if (header === undefined) throw new DataError('the file is empty; expected a header row', { file, line: 1 });
  const names = header.map((h) => h.toLowerCase());
  for (const column of required) {
    if (!names.includes(column)) {
      throw new DataError(`missing column "${column}" (header: ${header.join(',')}; expected ${[...required, ...optional.map((o) => `[${o}]`)].join(',')})`, { file, line: 1, column });
    }
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new DataError(`column "${duplicate}" appears twice in the header`, { file, line: 1, column: duplicate });
  const out: Row[] = [];
  records.slice(1).forEach((record, k) => {
    const line = k + 2;
    if (record.length === 1 && record[0] === '') return;
    if (record.length !== header.length) {
      throw new DataError(`expected ${header.length} fields, found ${record.length}`, { file, line });
    }
    const cells: Record<string, string> = {};
    names.forEach((name, c) => {
      cells[name] = record[c] ?? '';
    });
    out.push({ line, cells });
  });
  return out;
}

function finiteNumber(text: string, file: string, line: number, column: string): number {
  const value = Number(text);
  if (!NUMBER_PATTERN.test(text) || !Number.isFinite(value)) {
    throw new DataError(`"${text}" is not a number`, { file, line, column });
  }
  return value;
}

function symbolOf(row: Row, file: string, seen: Map<string, number>): string {
  const symbol = row.cells['symbol'] ?? '';
  if (symbol.length === 0) throw new DataError('empty symbol', { file, line: row.line, column: 'symbol' });
  const first = seen.get(symbol);
  if (first !== undefined) throw new DataError(`duplicate symbol ${symbol} (first on line ${first})`, { file, line: row.line, column: 'symbol' });
  seen.set(symbol, row.line);
  return symbol;
}

/**
 * Parses a candidates CSV: header `symbol,score,price[,sector]` (any order, case-insensitive), one candidate per line.
 * @throws DataError naming file, line and column for a missing column, an unparseable number, a non-positive price or a duplicate symbol.
 */
export function readCandidatesCsv(text: string, file: string): Candidate[] {
  const seen = new Map<string, number>();
  return rows(text, file, ['symbol', 'score', 'price'], ['sector']).map((row) => {
    const symbol = symbolOf(row, file, seen);
    const score = finiteNumber(row.cells['score'] ?? '', file, row.line, 'score');
    const priceText = row.cells['price'] ?? '';
    let price;
    try {
      price = dec(priceText, 'price');
    } catch {
      throw new DataError(`"${priceText}" is not a decimal price`, { file, line: row.line, column: 'price' });
    }
    if (price.lte(0)) throw new DataError(`price must be positive, got ${priceText}`, { file, line: row.line, column: 'price' });
    const sector = row.cells['sector'];
    return sector === undefined || sector === '' ? { symbol, score, price } : { symbol, score, price, sector };
  });
}

/**
 * Parses a current-weights CSV: header `symbol,weight`, weights as fractions in [0, 1] summing to at most 1.
 * @throws DataError naming file, line and column for a missing column, a bad weight, a duplicate symbol or a total above 1.
 */
export function readCurrentWeightsCsv(text: string, file: string): Record<string, number> {
  const seen = new Map<string, number>();
  const weights: Record<string, number> = {};
  let total = 0;
  for (const row of rows(text, file, ['symbol', 'weight'], [])) {
    const symbol = symbolOf(row, file, seen);
    const weight = finiteNumber(row.cells['weight'] ?? '', file, row.line, 'weight');
    if (weight < 0 || weight > 1) throw new DataError(`weight must be in [0, 1], got ${weight}`, { file, line: row.line, column: 'weight' });
    weights[symbol] = weight;
    total += weight;
  }
  if (total > 1 + 1e-9) throw new DataError(`current weights sum to ${total}, more than 1`, { file, column: 'weight' });
  return weights;
}
