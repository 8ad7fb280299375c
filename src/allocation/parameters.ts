// Validation of allocation parameters from code or config: every bad value is a ConfigError naming its field.
import { ConfigError } from '../errors.js';

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));

/**
 * Returns `value` (or `fallback` when undefined) if it is a finite number within [min, max].
 * @throws ConfigError naming `field` otherwise.
 */
export function numberParam(value: unknown, fallback: number, field: string, min: number, max = Number.POSITIVE_INFINITY): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(`${field} must be a number ${range}, got ${show(v)}`, field);
  }
  return v;
}

/**
 * Returns `value` (or `fallback` when undefined) if it is a positive integer.
 * @throws ConfigError naming `field` otherwise.
 */
export function positiveIntegerParam(value: unknown, fallback: number, field: string): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${field} must be a positive integer, got ${show(v)}`, field);
  return v;
}

/**
 * Returns `value` (or `fallback`) if it is a number strictly above `min`.
 * @throws ConfigError naming `field` otherwise.
 */
export function positiveParam(value: unknown, fallback: number, field: string, min = 0): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= min) throw new ConfigError(`${field} must be a number > ${min}, got ${show(v)}`, field);
  return v;
}
