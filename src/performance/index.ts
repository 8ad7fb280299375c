// Public API of src/performance (re-exported from the package root).
export { StrategyPerformance, transferNeutralReturn } from './strategyPerformance.js';
export type { BarReturn, PerformanceOptions, PerformanceSnapshot } from './strategyPerformance.js';
