// The benchmarks' live-heap probe.

/** Live heap after a full collection (NaN unless node runs with --expose-gc, as `npm run bench` does). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  return process.memoryUsage().heapUsed;
}
