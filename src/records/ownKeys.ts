// Reading and writing plain records keyed by user data (symbols, strategy ids) by own properties only, so that keys such as `__proto__` and `constructor` are data like any other.

/** The record's own value under `key`, or undefined: never an inherited member such as `constructor` or `toString`. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Sets `record[key]` as an own, enumerable data property. Plain assignment to `__proto__` would change the record's
 * prototype instead (and drop the value silently).
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
