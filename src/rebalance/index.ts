// Public API of src/rebalance (re-exported from the package root).
export { AllocationRebalancer } from './allocationRebalancer.js';
export type { AutomaticTrigger, RebalanceCheck, RebalancerOptions, RebalancerState } from './allocationRebalancer.js';
export { periodKey } from './calendarPeriod.js';
export type { RebalanceFrequency } from './calendarPeriod.js';
