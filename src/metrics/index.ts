// Public API of src/metrics (re-exported from the package root): empyrical-convention metrics, batch and streaming.
export * from './options.js';
export * from './returnMetrics.js';
export * from './relativeMetrics.js';
export * from './streamingMetrics.js';
export * from './outcomeRatios.js';
