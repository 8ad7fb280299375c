// The NDJSON source: one bar object per line, grouped into one slice per timestamp; JSON numbers keep their source text.
import { DataError, quoteStart } from '../errors.js';
import type { BarSlice } from './bar.js';
import { barTimeParser } from './barTime.js';
import { checkedBar, type BarNumberField } from './barValidation.js';
import { textLineBatches, type BarFileOptions } from './fileInput.js';
import { FlatJsonSyntaxError, parseFlatJsonObject, type FlatJsonValue } from './flatJson.js';
import { SliceGrouper } from './sliceGrouping.js';

/**
 * Streams an NDJSON bar file as slices, one per timestamp. Each line is an object with `timestamp` (string, or
 * epoch milliseconds as a number), `symbol` (string) and `open`, `high`, `low`, `close`, `volume` (decimal strings or
 * JSON numbers, whose exact source text is kept). Blank lines are skipped; other members are ignored.
 * @throws DataError (file, line, column = member name) on the first malformed, inconsistent or out-of-order line.
 */
export async function* readNdjson(path: string, options: BarFileOptions = {}): AsyncGenerator<BarSlice, void, undefined> {
  const grouper = new SliceGrouper(path, 'timestamp', 'close');
  const columnOf = (field: BarNumberField | 'symbol'): string => field;
  let sawLine = false;
  const parseTime = barTimeParser();
  for await (const batch of textLineBatches(path, options)) {
    for (const { text, line } of batch) {
      if (text.trim() === '') continue;
      sawLine = true;
      let members: Map<string, FlatJsonValue>;
      try {
        members = parseFlatJsonObject(text);
      } catch (e) {
        if (!(e instanceof FlatJsonSyntaxError)) throw e;
        throw new DataError(`not a JSON object: ${e.message}`, { file: path, line, column: `char ${e.position + 1}` });
      }
      const field = (name: string, numeric: boolean): string => memberText(members, name, numeric, path, line);
      const time = parseTime(field('timestamp', true));
      if (!time.ok) throw new DataError(time.reason, { file: path, line, column: 'timestamp' });
      const bar = checkedBar(
        {
          symbol: field('symbol', false),
          open: field('open', true),
          high: field('high', true),
          low: field('low', true),
          close: field('close', true),
          volume: field('volume', true),
        },
        { file: path, line, columnOf },
      );
      const done = grouper.at(time.ms, line);
      grouper.add(bar, line, 'symbol');
      if (done !== undefined) yield done;
    }
  }
  if (!sawLine) {
    throw new DataError('the file is empty: expected one JSON bar object per line', { file: path, line: 1, column: 'timestamp' });
  }
  const last = grouper.finish();
  if (last !== undefined) yield last;
}

function memberText(members: Map<string, FlatJsonValue>, name: string, numeric: boolean, file: string, line: number): string {
  const v = members.get(name);
  if (v === undefined) throw new DataError(`missing member "${name}"`, { file, line, column: name });
  if (v.kind === 'string') return v.value;
  if (v.kind === 'number' && numeric) return v.text;
  const shown = v.kind === 'number' ? (v.text.length > 60 ? quoteStart(v.text) : v.text) : v.kind === 'nested' ? 'an object or array' : String(v.value);
  throw new DataError(`"${name}" is ${shown}; expected ${numeric ? 'a decimal string or a JSON number' : 'a string'}`, {
    file,
    line,
    column: name,
  });
}
