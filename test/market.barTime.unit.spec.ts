// Accepted timestamp forms and their canonical ISO-8601 UTC output; refused forms say why.
import { describe, expect, it } from 'vitest';
import { formatBarTime, parseBarTime } from '../src/market/index.js';

const iso = (text: string): string => {
  const r = parseBarTime(text);
  if (!r.ok) throw new Error(r.reason);
  return formatBarTime(r.ms);
};

describe('parseBarTime', () => {
  it.each([
    ['2020-01-02', '2020-01-02T00:00:00.000Z'],
    ['2020-01-02T15:30', '2020-01-02T15:30:00.000Z'],
    ['2020-01-02 15:30:45', '2020-01-02T15:30:45.000Z'],
    ['2020-01-02T15:30:45.5Z', '2020-01-02T15:30:45.500Z'],
    ['2020-01-02T15:30:45.123+02:00', '2020-01-02T13:30:45.123Z'],
    ['2020-01-02T00:30:00-0530', '2020-01-02T06:00:00.000Z'],
    ['2020-02-29', '2020-02-29T00:00:00.000Z'],
    ['0050-03-01', '0050-03-01T00:00:00.000Z'],
    ['1577923200000', '2020-01-02T00:00:00.000Z'],
    [' 2020-01-02 ', '2020-01-02T00:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['2021-02-29', 'not a valid calendar date'],
    ['2020-13-01', 'not a valid calendar date'],
    ['2020-01-02T24:00', 'not a valid calendar date'],
    ['2020-01-02T10:00+25:00', 'invalid zone offset'],
    ['20200102', 'YYYYMMDD are not accepted'],
    ['1577923200', 'epoch seconds'],
    ['2020-01-02T10:00:00.1234Z', 'has 4 fraction digits; bar times are kept to the millisecond: write at most 3'],
    ['2020-01-02 09:31:00.000000-05:00', 'has 6 fraction digits; bar times are kept to the millisecond: write at most 3'],
    ['02/01/2020', 'is not a timestamp'],
    ['yesterday', 'is not a timestamp'],
  ])('refuses %j (%s)', (text, reason) => {
    const r = parseBarTime(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});
