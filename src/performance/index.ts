// Public API of src/performance (re-exported from the package root).
export { StrategyPerformance } from './strategyPerformance.js';
export type { PerformanceOptions, PerformanceSnapshot } from './strategyPerformance.js';
