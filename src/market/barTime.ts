// Bar-time parsing for every market source: accepted timestamp forms and their one canonical output (ISO-8601 UTC with milliseconds).
import { quoteStart } from '../errors.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|z|[+-]\d{2}:?\d{2})?$/;
const DIGITS = /^\d+$/;
// A date-time of the accepted layout but for its fraction (microseconds, nanoseconds), told apart to say what to change.
const LONG_FRACTION = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.(\d{4,})(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Shortest and longest digit counts read as epoch milliseconds (1973-03-03 … year 33658); shorter digit runs are ambiguous with epoch seconds or `YYYYMMDD`. */
const EPOCH_MS_MIN_DIGITS = 12;
const EPOCH_MS_MAX_DIGITS = 15;

/** Outcome of parsing one timestamp: epoch milliseconds, or why the text was refused. */
export type BarTimeParse =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses a bar timestamp: an ISO date (`2020-01-02`, midnight UTC), an ISO date-time with or
 * without zone (no zone means UTC; seconds and up to 3 fraction digits optional; `T` or a space),
 * or epoch milliseconds written as 12 to 15 digits.
 */
export function parseBarTime(text: string): BarTimeParse {
  const t = text.trim();
  if (t === '') return { ok: false, reason: 'timestamp is empty' };
  if (DIGITS.test(t)) {
    if (t.length < EPOCH_MS_MIN_DIGITS || t.length > EPOCH_MS_MAX_DIGITS) {
      return {
        ok: false,
        reason: `${quoteStart(t)} is not a timestamp: epoch milliseconds need ${EPOCH_MS_MIN_DIGITS} to ${EPOCH_MS_MAX_DIGITS} digits (epoch seconds and YYYYMMDD are not accepted)`,
      };
    }
    return { ok: true, ms: Number(t) };
  }
  const d = DATE_ONLY.exec(t);
  if (d !== null) return fromFields(t, d[1], d[2], d[3], '00', '00', undefined, undefined, undefined);
  const m = DATE_TIME.exec(t);
  if (m !== null) return fromFields(t, m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]);
  const fraction = LONG_FRACTION.exec(t)?.[1];
  if (fraction !== undefined) {
    return { ok: false, reason: `${quoteStart(t)} has ${fraction.length} fraction digits; bar times are kept to the millisecond: write at most 3` };
  }
  return {
    ok: false,
    reason: `${quoteStart(t)} is not a timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|±HH:MM] or epoch milliseconds)`,
  };
}

/** A {@link parseBarTime} that remembers the last text it parsed, since the rows of one slice repeat their timestamp. */
export function barTimeParser(): (text: string) => BarTimeParse {
  let lastText: string | undefined;
  let last: BarTimeParse = { ok: false, reason: 'timestamp is empty' };
  return (text) => {
    if (text !== lastText) {
      last = parseBarTime(text);
      lastText = text;
    }
    return last;
  };
}

/** Canonical bar-time text of epoch milliseconds: `new Date(ms).toISOString()`. */
export function formatBarTime(ms: number): string {
  return new Date(ms).toISOString();
}

function fromFields(
  text: string,
  ys: string | undefined,
  mos: string | undefined,
  ds: string | undefined,
  hs: string | undefined,
  mis: string | undefined,
  ss: string | undefined,
  fs: string | undefined,
  zone: string | undefined,
): BarTimeParse {
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const milli = fs === undefined ? 0 : Number(fs.padEnd(3, '0'));
  // Date.UTC silently rolls 2021-02-30 into March; a calendar check refuses it instead.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `"${text}" is not a valid calendar date and time` };
  }
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return { ok: false, reason: `"${text}" has an invalid zone offset` };
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = utcMs(year, month - 1, day, hour, minute, second, milli) - offsetMinutes * 60_000;
  return { ok: true, ms };
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMs(year, month, 0, 0, 0, 0, 0)).getUTCDate();
}

// Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
function utcMs(year: number, monthIndex: number, day: number, h: number, mi: number, s: number, ms: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getTime();
}
