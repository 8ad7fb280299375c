// Small statistics over a window of closes used by the built-in strategies (numbers, not money).

/** Arithmetic mean of `values` (NaN for an empty window). */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n − 1) of `values`; 0 for fewer than two values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) * (v - m);
  return Math.sqrt(squares / (values.length - 1));
}

/** Simple return from the first to the last value of `values` (last / first − 1). */
export function windowReturn(values: readonly number[]): number {
  const first = values[0];
  const last = values[values.length - 1];
  if (first === undefined || last === undefined || first === 0) return Number.NaN;
  return last / first - 1;
}
