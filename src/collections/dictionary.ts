// Records keyed by user data (strategy ids, symbols): objects without a prototype, so `__proto__` or `constructor` is an ordinary key.

/** An empty record with no prototype: `d['__proto__'] = x` stores x under that key instead of replacing the prototype. */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A prototype-free record of `entries` (the null-prototype twin of Object.fromEntries). */
export function dictionaryOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const d = dictionary<T>();
  for (const [k, v] of entries) d[k] = v;
  return d;
}
