// Calendar period keys (UTC) of a bar time: the day, ISO week, month or quarter it falls in.
import { DataError } from '../errors.js';

/** Rebalancing schedules. */
export type RebalanceFrequency = 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'never';

/**
 * Milliseconds since the epoch of an ISO-8601 bar time.
 * @throws DataError when `time` is not a valid ISO-8601 time.
 */
export function barTimeMs(time: string): number {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw new DataError(`bar time "${time}" is not a valid ISO-8601 time`);
  return ms;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ISO-8601 week of a UTC date: weeks start on Monday and belong to the year of their Thursday. */
function isoWeek(d: Date): { year: number; week: number } {
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = thursday.getUTCDay() === 0 ? 7 : thursday.getUTCDay();
  thursday.setUTCDate(thursday.getUTCDate() + 4 - weekday);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1;
  return { year, week };
}

/**
 * The key of the calendar period that contains `time` (UTC): `2024-01-31`, `2025-W01`, `2024-02`, `2024-Q1`;
 * null for 'never'. Two times are in the same period exactly when their keys are equal.
 * @throws DataError when `time` is not a valid ISO-8601 time.
 */
export function periodKey(time: string, frequency: RebalanceFrequency): string | null {
  const d = new Date(barTimeMs(time));
  const y = d.getUTCFullYear();
  switch (frequency) {
    case 'daily':
      return `${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case 'weekly': {
      const w = isoWeek(d);
      return `${w.year}-W${pad(w.week)}`;
    }
    case 'monthly':
      return `${y}-${pad(d.getUTCMonth() + 1)}`;
    case 'quarterly':
      return `${y}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
    case 'never':
      return null;
  }
}
