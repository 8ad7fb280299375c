// Freezing JSON-shaped data all the way down, for data that must not change once it is recorded or handed out.

/** Freezes a JSON-shaped value and everything it holds (objects and arrays; strings and numbers are immutable already) and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
