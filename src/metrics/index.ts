// Public API of src/metrics (re-exported from the package root): empyrical-convention metrics, batch, rolling and streaming.
export * from './options.js';
export * from './returnMetrics.js';
export * from './relativeMetrics.js';
export * from './streamingMetrics.js';
export * from './outcomeRatios.js';
export * from './distributionMetrics.js';
export * from './calendarMetrics.js';
export * from './drawdownPeriods.js';
export * from './rollingMetrics.js';
export * from './exposureMetrics.js';
