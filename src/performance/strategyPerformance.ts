// PLACEHOLDER owned by the allocation helper: rolling per-strategy statistics, O(1) per update.
export class StrategyPerformance {}
