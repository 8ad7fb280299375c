// Public API of src/strategy (re-exported from the package root).
export { RollingPriceHistory, historyLengthOf, requiredHistoryCapacity, type HistoryDemand } from './priceHistory.js';
export {
  createStrategyContext,
  type OrderSizing,
  type StrategyCall,
  type StrategyContextInput,
} from './strategyContext.js';
export { OrderError, MissingPriceError, isOrderError } from './orderErrors.js';
export {
  builtinStrategies,
  resolveStrategy,
  loadStrategy,
  type BuiltinStrategyKind,
  type KindStrategySpec,
  type LoadStrategyOptions,
  type ModuleStrategySpec,
  type StrategyFactory,
  type StrategyKinds,
  type StrategySpec,
} from './registry.js';
export { createBuyAndHoldStrategy, buyAndHoldParams, type BuyAndHoldParams } from './builtins/buyAndHold.js';
export { createMomentumStrategy, momentumParams, type MomentumParams } from './builtins/momentum.js';
export { createMeanReversionStrategy, meanReversionParams, type MeanReversionParams } from './builtins/meanReversion.js';
export { createTrendFollowingStrategy, trendFollowingParams, type TrendFollowingParams } from './builtins/trendFollowing.js';
export { scoredUniverseStrategy, scoredUniverseParams, type ScoredUniverseParams } from './builtins/scoredUniverse.js';
export type { BuiltinStrategy } from './builtins/universe.js';
